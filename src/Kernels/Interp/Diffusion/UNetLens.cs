using MMInterp.Kernels.Hooks;
using MMInterp.Kernels.Models.Diffusion;
using MMInterp.Kernels.Models.ZooUNet;
using MMInterp.Kernels.ShapesWorld;
using MMInterp.Kernels.Tensors;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Interp.Diffusion;

/// <summary>
/// The steering lens on a U-Net: at every sampling step each level's output is translated to the head's input
/// (<see cref="UNetLensTranslators"/>, fitted on other prompts first), pushed through the U-Net's own output head and
/// guidance, and turned into that step's clean-image estimate, which the oracle scores against the prompt (a user's
/// prompts: against its reading of the model's final image). Then come
/// the model's own estimate and, as the control, the estimate from the noisy input alone (<see cref="InputOnly"/>). Each translator's R² on the scored run says how much of the head's input the
/// level carries linearly; the rows read as "what the head would draw from this level alone".
/// </summary>
public static class UNetLens
{
    public static LensResult Run(IUNetDenoiser model, LensConfig config)
    {
        var sampler = model.Sampler(config.Seed);
        var o = config.Validate(sampler.Steps);
        var size = model.ImageSize;
        var fitScenes = DiffusionEvaluator.PromptScenes(size, o.FitSeed, o.FitPrompts);
        using var translators = UNetLensTranslators.Fit(model, fitScenes.Select(Captions.Describe).ToList(), model.Sampler(o.FitSeed));
        var sites = translators.Sites;
        var target = translators.Target;
        var scenes = o.UserPrompts is null ? DiffusionEvaluator.PromptScenes(size, o.Seed, o.Prompts) : null;
        var prompts = o.UserPrompts?.ToList() ?? scenes!.Select(Captions.Describe).ToList();
        var crossStep = o.CrossAttentionStep < 0 ? sampler.Steps / 2 : o.CrossAttentionStep;
        // Each transformer block's first cross-attention layer.
        var crossSites = model.AttentionSites.Where(s => s.Kind == "cross_attn").GroupBy(s => s.Block)
            .Select(g => (Block: model.Blocks[g.Key].Name, Hook: g.First().ZHook[..^".hook_z".Length] + ".hook_pattern")).ToList();
        var crossHooks = crossSites.Select(s => s.Hook).ToList();
        var rows = sites.Count + 2;
        var images = Enumerable.Range(0, o.Pictured).Select(_ => Enumerable.Range(0, rows).Select(_ => new List<float[]>()).ToList()).ToList();
        var readings = new LensReadings(model.Classifier, rows, sampler.Steps);
        var fit = sites.ToDictionary(s => s, _ => new FitAccumulator());
        var cross = new List<IReadOnlyList<IReadOnlyList<float[]>>>();
        var ts = new List<double>();
        var device = model.Text.Device;
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var text = model.Text.Encode(prompts, device);
        var nullText = model.Text.Encode(Enumerable.Repeat(TextConditioner.Null, prompts.Count).ToList(), device);
        using var cache = new ActivationCache();
        var step = 0;
        Tensor final;
        using (model.Hooks.Scope())
        {
            foreach (var hook in sites.Append(target).Append(OutputHook)) model.Hooks.Add(hook, Hook.Cache(cache));
            // Cross-attention maps only at the pictured step: at a pipeline's sizes they are the largest activations.
            foreach (var hook in crossHooks) model.Hooks.Add(hook, (x, p) => { if (step == crossStep) cache.Store(p.Name, x); return x; });
            final = model.SampleReading(text, nullText, sampler, reading =>
            {
                ts.Add(reading.S);
                var head = cache[target];
                for (var row = 0; row < rows; row++)
                {
                    using var inner = NewDisposeScope();
                    Tensor output;
                    if (row == rows - 1) output = zeros_like(cache[OutputHook]);
                    else if (row < sites.Count)
                    {
                        var translated = translators.Apply(sites[row], reading.Index, cache[sites[row]], head.shape[2], head.shape[3]);
                        fit[sites[row]].Add(translated, head);
                        output = model.UNet.Head(translated);
                    }
                    else output = cache[OutputHook];
                    var x0 = FlowMatching.ToPixels(reading.CleanImage(output)).cpu();
                    readings.Add(row, reading.Index, x0);
                    for (var p = 0; p < o.Pictured; p++) images[p][row].Add(x0[p].contiguous().data<float>().ToArray());
                }
                if (reading.Index == crossStep)
                    for (var p = 0; p < o.Pictured; p++)
                        cross.Add(crossHooks.Select(h => SteeringLens.TokenMaps(cache[h], reading.ConditionalRow + p, size)).ToList());
                step = reading.Index + 1;
            }).cpu();
        }
        Scalars.Release();
        var words = prompts.Take(o.Pictured).Select(model.Text.TokenWords).ToList();
        var trimmed = cross.Select((perBlock, p) => (IReadOnlyList<IReadOnlyList<float[]>>)perBlock.Select(maps => (IReadOnlyList<float[]>)maps.Take(words[p].Count).ToList()).ToList()).ToList();
        var finals = Enumerable.Range(0, o.Pictured).Select(p => final[p].contiguous().data<float>().ToArray()).ToList();
        return new LensResult(prompts, ts, [.. sites.Select(Short), "output", InputOnly],
            images.Select(perRow => (IReadOnlyList<IReadOnlyList<float[]>>)perRow.Select(l => (IReadOnlyList<float[]>)l).ToList()).ToList(),
            readings.Score(scenes, final), crossStep, words, trimmed, finals, size)
        {
            Reference = scenes is null ? TrajectoryCurve.FinalImage : TrajectoryCurve.Prompt,
            CrossAttentionNames = crossSites.Select(s => s.Block).ToList(),
            TranslatorR2 = sites.ToDictionary(Short, s => fit[s].R2),
        };
    }

    const string OutputHook = "unet.hook_out";

    /// <summary>The control row: the clean estimate from the noisy input alone (a zero prediction), which late in
    /// sampling is most of every row's estimate.</summary>
    public const string InputOnly = "x_t alone";

    /// <summary>"unet.down.0.hook_out" -> "down.0".</summary>
    static string Short(string hook) => hook.Replace("unet.", "", StringComparison.Ordinal).Replace(".hook_out", "", StringComparison.Ordinal);

    /// <summary>R² of a translator's output against the head's input over a run: 1 - residual / total sum of squares,
    /// the total about each channel's mean.</summary>
    sealed class FitAccumulator
    {
        double _residual, _count;
        double[]? _sum, _squares;

        public void Add(Tensor predicted, Tensor actual)
        {
            using var scope = NewDisposeScope();
            var y = actual.to_type(ScalarType.Float64);
            _residual += Scalars.Sq(predicted.to_type(ScalarType.Float64) - y).sum().item<double>();
            var sum = y.sum([0, 2, 3]).cpu().data<double>().ToArray();
            var squares = Scalars.Sq(y).sum([0, 2, 3]).cpu().data<double>().ToArray();
            _sum = _sum is null ? sum : _sum.Zip(sum, (a, b) => a + b).ToArray();
            _squares = _squares is null ? squares : _squares.Zip(squares, (a, b) => a + b).ToArray();
            _count += y.shape[0] * y.shape[2] * y.shape[3];
        }

        public double R2 => _sum is null ? double.NaN : 1 - _residual / _sum.Zip(_squares!, (s, q) => q - s * s / _count).Sum();
    }
}
