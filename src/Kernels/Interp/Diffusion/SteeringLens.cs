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
    /// <summary>A U-Net's lens: the prompts (other scenes than the scored ones) whose sampling its translators are fitted on.</summary>
    public int FitPrompts { get; init; } = 64;
    public long FitSeed { get; init; } = 4_100_041;
    /// <summary>A user's prompts instead of ShapesWorld's (then <see cref="Prompts"/> is their count): each lens image is
    /// judged against the oracle's reading of the model's own final image.</summary>
    public IReadOnlyList<string>? UserPrompts { get; init; }

    public LensConfig Validate(int sampleSteps)
    {
        if (Prompts < 1) throw new ArgumentException($"Prompts must be positive, got {Prompts}", nameof(Prompts));
        Extraction.UserPrompts.Check(UserPrompts, nameof(UserPrompts));
        if (FitPrompts < 1) throw new ArgumentException($"FitPrompts must be positive, got {FitPrompts}", nameof(FitPrompts));
        if (FitSeed == Seed) throw new ArgumentException($"FitSeed must differ from Seed ({Seed}): the translators are fitted on other prompts than the lens scores", nameof(FitSeed));
        var scored = UserPrompts?.Count ?? Prompts;
        if (Pictured < 0 || Pictured > scored) throw new ArgumentException($"Pictured must be in [0, {scored}] (the prompts scored), got {Pictured}", nameof(Pictured));
        if (CrossAttentionStep < -1 || CrossAttentionStep >= sampleSteps)
            throw new ArgumentException($"CrossAttentionStep must be -1 or a step index below {sampleSteps}, got {CrossAttentionStep}", nameof(CrossAttentionStep));
        return this;
    }
}

/// <summary>Lens images [prompt][layer][step] (planar RGB; layer index = block, the last row the model's own output),
/// their classifier accuracy against the prompts [attribute][layer][step], and cross-attention maps
/// [prompt][block][token] (heat [S*S] in [0, 1]) at one step with the token words. A U-Net's lens also names its
/// attention blocks (<see cref="CrossAttentionNames"/>; a DiT's are its first layers) and gives each decoded level's
/// translator fit, R² on the scored run (<see cref="TranslatorR2"/>).</summary>
public sealed record LensResult(
    IReadOnlyList<string> Prompts, IReadOnlyList<double> T, IReadOnlyList<string> LayerNames,
    IReadOnlyList<IReadOnlyList<IReadOnlyList<float[]>>> Images,
    IReadOnlyDictionary<ObjectAttribute, double[][]> Accuracy,
    int CrossAttentionStep, IReadOnlyList<IReadOnlyList<string>> TokenWords,
    IReadOnlyList<IReadOnlyList<IReadOnlyList<float[]>>> CrossAttention,
    IReadOnlyList<float[]> Final, int ImageSize)
{
    public IReadOnlyList<string>? CrossAttentionNames { get; init; }
    public IReadOnlyDictionary<string, double>? TranslatorR2 { get; init; }
    /// <summary>What <see cref="Accuracy"/> is judged against: <see cref="TrajectoryCurve.Prompt"/> or, for a user's
    /// prompts, <see cref="TrajectoryCurve.FinalImage"/>.</summary>
    public string Reference { get; init; } = TrajectoryCurve.Prompt;
}

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
        var scenes = o.UserPrompts is null ? DiffusionEvaluator.PromptScenes(size, o.Seed, o.Prompts) : null;
        var prompts = o.UserPrompts?.ToList() ?? scenes!.Select(Captions.Describe).ToList();
        var sampler = c.Sampler(o.Seed);
        var crossStep = o.CrossAttentionStep < 0 ? c.SampleSteps / 2 : o.CrossAttentionStep;
        var images = Enumerable.Range(0, o.Pictured).Select(_ => Enumerable.Range(0, layers + 1).Select(_ => new List<float[]>()).ToList()).ToList();
        var readings = new LensReadings(bundle.Classifier, layers + 1, c.SampleSteps);
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
                    readings.Add(layer, step.Index, x0);
                    for (var p = 0; p < o.Pictured; p++) images[p][layer].Add(x0[p].cpu().contiguous().data<float>().ToArray());
                }
                if (step.Index == crossStep)
                    for (var p = 0; p < o.Pictured; p++)
                        cross.Add(Enumerable.Range(0, layers).Select(layer => TokenMaps(cache[$"denoiser.blocks.{layer}.cross_attn.hook_pattern"], p, model.Config)).ToList());
            }).cpu();
        }
        Scalars.Release();
        var layerNames = Enumerable.Range(0, layers).Select(i => $"block {i}").Append("output").ToList();
        return Result(prompts, scenes, ts, layerNames, images, readings, crossStep, bundle.Text, cross, final, size);
    }

    /// <summary>What both lenses hand back alike: the pictured prompts' token words and their cross-attention maps
    /// [prompt][block][token] cut at the end of text, the final images, the accuracy against the scenes (or, with no
    /// scenes, the final images) and which of the two it was judged against.</summary>
    internal static LensResult Result(IReadOnlyList<string> prompts, IReadOnlyList<Scene>? scenes, IReadOnlyList<double> ts, IReadOnlyList<string> rows,
        List<List<List<float[]>>> images, LensReadings readings, int crossStep, IPromptEncoder text,
        List<IReadOnlyList<IReadOnlyList<float[]>>> cross, Tensor final, int size)
    {
        var words = prompts.Take(images.Count).Select(text.TokenWords).ToList();
        var trimmed = cross.Select((perBlock, p) => (IReadOnlyList<IReadOnlyList<float[]>>)perBlock.Select(maps => (IReadOnlyList<float[]>)maps.Take(words[p].Count).ToList()).ToList()).ToList();
        var finals = Enumerable.Range(0, images.Count).Select(p => final[p].cpu().contiguous().data<float>().ToArray()).ToList();
        return new LensResult(prompts, ts, rows,
            images.Select(perRow => (IReadOnlyList<IReadOnlyList<float[]>>)perRow.Select(l => (IReadOnlyList<float[]>)l).ToList()).ToList(),
            readings.Score(scenes, final), crossStep, words, trimmed, finals, size)
        {
            Reference = scenes is null ? TrajectoryCurve.FinalImage : TrajectoryCurve.Prompt,
        };
    }

    /// <summary>Head-averaged attention of every image patch to each text token, upsampled to pixels and scaled to [0, 1].</summary>
    static IReadOnlyList<float[]> TokenMaps(Tensor pattern, int row, DitConfig c) => TokenMaps(pattern, row, c.ImageSize);

    /// <summary>As above for a pattern [B, H, queries, tokens] whose queries lie on a square grid over an image of side <paramref name="imageSize"/>.</summary>
    internal static IReadOnlyList<float[]> TokenMaps(Tensor pattern, int row, int imageSize)
    {
        using var scope = NewDisposeScope();
        var maps = pattern[row].mean([0]).transpose(0, 1); // [S, tokens]
        var s = maps.shape[0];
        var g = (long)Math.Round(Math.Sqrt(maps.shape[1]));
        if (g * g != maps.shape[1]) throw new ArgumentException($"cross-attention over {maps.shape[1]} queries is not a square grid");
        var heat = maps.reshape(s, 1, g, g);
        heat = nn.functional.interpolate(heat, size: [imageSize, imageSize], mode: InterpolationMode.Nearest).reshape(s, -1);
        heat = heat / (heat.amax([1], keepdim: true) + Scalars.S(1e-8));
        return Enumerable.Range(0, (int)s).Select(k => heat[k].cpu().data<float>().ToArray()).ToList();
    }

}
