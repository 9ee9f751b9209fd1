using MMInterp.Kernels.Hooks;
using MMInterp.Kernels.Models.Diffusion;
using MMInterp.Kernels.Models.ZooUNet;
using MMInterp.Kernels.ShapesWorld;
using MMInterp.Kernels.Tensors;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Interp.Diffusion;

/// <summary>
/// The steering lens on a U-Net: at every sampling step each level's output is read out as a clean image through its
/// fitted translator (<see cref="UNetLensTranslators"/>, fitted on other prompts first) and the oracle scores it
/// against the prompt (a user's prompts: against its reading of the model's final image). Then come the model's own
/// estimate and, as the control, the same readout of the noisy input x_t alone. Each translator's R² against the
/// model's estimate on the scored run says how much of it the level carries linearly.
/// </summary>
public static class UNetLens
{
    public const string Output = "output";

    public static LensResult Run(IUNetDenoiser model, LensConfig config)
    {
        var sampler = model.Sampler(config.Seed);
        var o = config.Validate(sampler.Steps);
        var size = model.ImageSize;
        var fitScenes = DiffusionEvaluator.PromptScenes(size, o.FitSeed, o.FitPrompts);
        using var translators = UNetLensTranslators.Fit(model, fitScenes.Select(Captions.Describe).ToList(), model.Sampler(o.FitSeed));
        var scenes = o.UserPrompts is null ? DiffusionEvaluator.PromptScenes(size, o.Seed, o.Prompts) : null;
        var prompts = o.UserPrompts?.ToList() ?? scenes!.Select(Captions.Describe).ToList();
        var crossStep = o.CrossAttentionStep < 0 ? sampler.Steps / 2 : o.CrossAttentionStep;
        // Each transformer block's first cross-attention layer.
        var crossSites = model.AttentionSites.Where(s => s.Kind == "cross_attn").GroupBy(s => s.Block)
            .Select(g => (Block: model.Blocks[g.Key].Name, Hook: g.First().ZHook[..^".hook_z".Length] + ".hook_pattern")).ToList();
        // Rows: the levels, the model's own estimate, then the control (x_t).
        var rows = translators.Sites.SkipLast(1).Append(Output).Append(UNetLensTranslators.InputSite).ToList();
        var images = Enumerable.Range(0, o.Pictured).Select(_ => rows.Select(_ => new List<float[]>()).ToList()).ToList();
        var readings = new LensReadings(model.Classifier, rows.Count, sampler.Steps);
        var fit = translators.Sites.ToDictionary(s => s, _ => new FitAccumulator());
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
            foreach (var hook in model.BlockHooks) model.Hooks.Add(hook, Hook.Cache(cache));
            // Cross-attention maps only at the pictured step: at a pipeline's sizes they are the largest activations.
            foreach (var (_, hook) in crossSites) model.Hooks.Add(hook, (x, p) => { if (step == crossStep) cache.Store(p.Name, x); return x; });
            final = model.SampleReading(text, nullText, sampler, reading =>
            {
                ts.Add(reading.S);
                for (var row = 0; row < rows.Count; row++)
                {
                    using var inner = NewDisposeScope();
                    var clean = reading.Clean;
                    if (rows[row] != Output)
                    {
                        var decoded = translators.Decode(rows[row], reading, cache);
                        fit[rows[row]].Add(decoded, UNetLensTranslators.Target(reading.Clean, decoded));
                        clean = nn.functional.interpolate(decoded, size: [size, size], mode: InterpolationMode.Nearest);
                    }
                    var x0 = FlowMatching.ToPixels(clean).cpu();
                    readings.Add(row, reading.Index, x0);
                    for (var p = 0; p < o.Pictured; p++) images[p][row].Add(x0[p].contiguous().data<float>().ToArray());
                }
                if (reading.Index == crossStep)
                    for (var p = 0; p < o.Pictured; p++)
                        cross.Add(crossSites.Select(s => SteeringLens.TokenMaps(cache[s.Hook], reading.ConditionalRow + p, size)).ToList());
                step = reading.Index + 1;
            }).cpu();
        }
        Scalars.Release();
        return SteeringLens.Result(prompts, scenes, ts, rows.Select(Short).ToList(), images, readings, crossStep, model.Text, cross, final, size) with
        {
            CrossAttentionNames = crossSites.Select(s => s.Block).ToList(),
            TranslatorR2 = translators.Sites.ToDictionary(Short, s => fit[s].R2),
        };
    }

    /// <summary>"unet.down.0.hook_out" -> "down.0".</summary>
    static string Short(string hook) => hook.Replace("unet.", "", StringComparison.Ordinal).Replace(".hook_out", "", StringComparison.Ordinal);

    /// <summary>R² of a translator's image against the model's estimate over a run: 1 - residual / total sum of squares,
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
