using MMInterp.Kernels.Hooks;
using MMInterp.Kernels.Models.Diffusion;
using MMInterp.Kernels.ShapesWorld;
using MMInterp.Kernels.Tensors;
using TorchSharp;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Interp.Diffusion;

public sealed record LensConfig
{
    /// <summary>Held-out prompts whose lens images are scored; the first <see cref="Pictured"/> are also drawn.</summary>
    public int Prompts { get; init; } = 32;
    public int Pictured { get; init; } = 2;
    /// <summary>The sampling step (index) whose cross-attention maps are drawn; -1 = the middle step.</summary>
    public int CrossAttentionStep { get; init; } = -1;
    public long Seed { get; init; } = 4_000_037;

    public LensConfig Validate(int sampleSteps)
    {
        if (Prompts < 1) throw new ArgumentException($"Prompts must be positive, got {Prompts}", nameof(Prompts));
        if (Pictured < 0 || Pictured > Prompts) throw new ArgumentException($"Pictured must be in [0, Prompts={Prompts}], got {Pictured}", nameof(Pictured));
        if (CrossAttentionStep < -1 || CrossAttentionStep >= sampleSteps)
            throw new ArgumentException($"CrossAttentionStep must be -1 or a step index below {sampleSteps}, got {CrossAttentionStep}", nameof(CrossAttentionStep));
        return this;
    }
}

/// <summary>Lens images [prompt][layer][step] (planar RGB; layer index = block, the last row the model's own output),
/// their classifier accuracy against the prompts [attribute][layer][step], and cross-attention maps
/// [prompt][block][token] (heat [S*S] in [0, 1]) at one step with the token words.</summary>
public sealed record LensResult(
    IReadOnlyList<string> Prompts, IReadOnlyList<double> T, IReadOnlyList<string> LayerNames,
    IReadOnlyList<IReadOnlyList<IReadOnlyList<float[]>>> Images,
    IReadOnlyDictionary<ObjectAttribute, double[][]> Accuracy,
    int CrossAttentionStep, IReadOnlyList<IReadOnlyList<string>> TokenWords,
    IReadOnlyList<IReadOnlyList<IReadOnlyList<float[]>>> CrossAttention,
    IReadOnlyList<float[]> Final, int ImageSize);

/// <summary>The diffusion steering lens: at every sampling step, each block's residual stream is pushed through the
/// final layer as if it were the last block, giving that layer's (guided) velocity and so its clean-image estimate.</summary>
public static class SteeringLens
{
    public static readonly ObjectAttribute[] Scored = [ObjectAttribute.Colour, ObjectAttribute.Position, ObjectAttribute.Shape, ObjectAttribute.Fill];

    public static LensResult Run(DiffusionBundle bundle, LensConfig config)
    {
        var c = bundle.Config;
        var o = config.Validate(c.SampleSteps);
        var model = bundle.Denoiser;
        var device = bundle.Text.Clip.LogitScale.device;
        var layers = model.Layers;
        var size = c.ImageSize;
        var scenes = DiffusionEvaluator.PromptScenes(size, o.Seed, o.Prompts);
        var prompts = scenes.Select(Captions.Describe).ToList();
        var sampler = c.Sampler(o.Seed);
        var crossStep = o.CrossAttentionStep < 0 ? c.SampleSteps / 2 : o.CrossAttentionStep;
        var images = Enumerable.Range(0, o.Pictured).Select(_ => Enumerable.Range(0, layers + 1).Select(_ => new List<float[]>()).ToList()).ToList();
        var accuracy = Scored.ToDictionary(a => a, _ => Enumerable.Range(0, layers + 1).Select(_ => new double[c.SampleSteps]).ToArray());
        var cross = new List<IReadOnlyList<IReadOnlyList<float[]>>>();
        var ts = new List<double>();
        using var scope = NewDisposeScope();
        var text = bundle.Text.Encode(prompts, device);
        var nullText = bundle.Text.Encode(Enumerable.Repeat(TextConditioner.Null, prompts.Count).ToList(), device);
        var both = sampler.Guidance != 1.0 ? TextCondition.Concat(text, nullText) : text;
        using var cache = new ActivationCache();
        Tensor final;
        using (model.Hooks.Scope())
        {
            for (var i = 0; i < layers; i++)
            {
                model.Hooks.Add($"denoiser.blocks.{i}.hook_resid_post", Hook.Cache(cache));
                model.Hooks.Add($"denoiser.blocks.{i}.cross_attn.hook_pattern", Hook.Cache(cache));
            }
            final = FlowSampler.Sample(model, text, nullText, sampler, afterStep: step =>
            {
                ts.Add(step.T);
                var b = step.Xt.shape[0];
                var input = sampler.Guidance != 1.0 ? cat([step.Xt, step.Xt], 0) : step.Xt;
                var tt = full([input.shape[0]], Scalars.S(step.T), device: device);
                var (cond, _, _) = model.Prepare(input, tt, both);
                for (var layer = 0; layer <= layers; layer++)
                {
                    using var inner = NewDisposeScope();
                    var v = layer < layers ? model.Output(cache[$"denoiser.blocks.{layer}.hook_resid_post"], cond) : step.Velocity;
                    if (layer < layers && sampler.Guidance != 1.0)
                    {
                        var parts = v.chunk(2, 0);
                        v = parts[1] + (parts[0] - parts[1]) * Scalars.S(sampler.Guidance);
                    }
                    var x0 = FlowMatching.ToPixels(FlowMatching.CleanEstimate(step.Xt, tt.narrow(0, 0, b), v)).cpu();
                    var score = DiffusionEvaluator.Score(bundle.Classifier, x0, scenes);
                    foreach (var a in Scored) accuracy[a][layer][step.Index] = score[a];
                    for (var p = 0; p < o.Pictured; p++) images[p][layer].Add(x0[p].cpu().contiguous().data<float>().ToArray());
                }
                if (step.Index == crossStep)
                    for (var p = 0; p < o.Pictured; p++)
                        cross.Add(Enumerable.Range(0, layers).Select(layer => TokenMaps(cache[$"denoiser.blocks.{layer}.cross_attn.hook_pattern"], p, model.Config)).ToList());
            }).cpu();
        }
        Scalars.Release();
        var words = prompts.Take(o.Pictured).Select(p => VisibleTokens(bundle.Text, p)).ToList();
        // Keep only the maps of tokens up to the end of text.
        var trimmed = cross.Select((perLayer, p) => (IReadOnlyList<IReadOnlyList<float[]>>)perLayer.Select(maps => (IReadOnlyList<float[]>)maps.Take(words[p].Count).ToList()).ToList()).ToList();
        var finals = Enumerable.Range(0, o.Pictured).Select(p => final[p].cpu().contiguous().data<float>().ToArray()).ToList();
        var layerNames = Enumerable.Range(0, layers).Select(i => $"block {i}").Append("output").ToList();
        return new LensResult(prompts, ts, layerNames,
            images.Select(perLayer => (IReadOnlyList<IReadOnlyList<float[]>>)perLayer.Select(l => (IReadOnlyList<float[]>)l).ToList()).ToList(),
            accuracy, crossStep, words, trimmed, finals, size);
    }

    /// <summary>Head-averaged attention of every image patch to each text token, upsampled to pixels and scaled to [0, 1].</summary>
    static IReadOnlyList<float[]> TokenMaps(Tensor pattern, int row, DitConfig c)
    {
        using var scope = NewDisposeScope();
        var maps = pattern[row].mean([0]).transpose(0, 1); // [S, tokens]
        var s = maps.shape[0];
        var g = c.PatchesPerSide;
        var heat = maps.reshape(s, 1, g, g);
        heat = nn.functional.interpolate(heat, size: [c.ImageSize, c.ImageSize], mode: InterpolationMode.Nearest).reshape(s, -1);
        heat = heat / (heat.amax([1], keepdim: true) + Scalars.S(1e-8));
        return Enumerable.Range(0, (int)s).Select(k => heat[k].cpu().data<float>().ToArray()).ToList();
    }

    static IReadOnlyList<string> VisibleTokens(TextConditioner text, string prompt) => text.TokenWords(prompt);
}
