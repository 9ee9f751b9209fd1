using System.ComponentModel;
using MMInterp.Kernels.Plots;
using MMInterp.Kernels.Probes;
using MMInterp.Kernels.ShapesWorld;

namespace MMInterp.Kernels.Analyses;

/// <summary>The options of <see cref="ProbeAnalysis"/>.</summary>
public sealed record ProbeOptions
{
    [Description("comma-separated: colour, shape, size, position, fill")] public string Attribute { get; init; } = "colour";
    [Description("resid_post, resid_pre, resid_mid, attn.hook_z or mlp.hook_post")] public string Hook { get; init; } = "resid_post";
    [Description("cls or mean")] public string Position { get; init; } = "cls";
    [Description("probe training images")] public int TrainImages { get; init; } = new ProbeSweepConfig().TrainImages;
    [Description("probe test images (held-out seed)")] public int TestImages { get; init; } = new ProbeSweepConfig().TestImages;
}

/// <summary>
/// Linear probes for ShapesWorld attributes at every block of a CLIP's vision tower: held-out accuracy per block, the
/// best block's accuracy per attribute beside chance.
/// </summary>
public sealed class ProbeAnalysis() : Analysis<ProbeOptions>(Kind)
{
    public const string Kind = "clip-probe";

    public override string Description => "held-out linear-probe accuracy per block for ShapesWorld attributes";

    public override IReadOnlyList<FigureSpec> Figures { get; } =
        Enum.GetValues<ObjectAttribute>().Select(a => Figure(BestName(a), $"held-out {Word(a)} probe accuracy at the best block", ChanceName(a))).ToList();

    public static string BestName(ObjectAttribute a) => $"probe_{Word(a)}_best_accuracy";
    public static string ChanceName(ObjectAttribute a) => $"probe_{Word(a)}_chance";
    static string Word(ObjectAttribute a) => a.ToString().ToLowerInvariant();

    protected override async Task<AnalysisResult> RunAsync(ProbeOptions o, IAnalysisInputs inputs, Action<double, string> progress, CancellationToken ct)
    {
        var config = new ProbeSweepConfig
        {
            Attributes = o.Attribute.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(AttributeWords.ParseAttribute).Distinct().ToList(),
            Hook = o.Hook, Position = o.Position, TrainImages = o.TrainImages, TestImages = o.TestImages,
        }.Validate();
        var loaded = await inputs.ClipAsync(ct);
        using var clip = loaded.Model;
        clip.eval();
        var sweep = ProbeSweep.Run(clip, config, progress);
        var result = new AnalysisResult();
        foreach (var (attribute, accuracy) in sweep.Accuracy)
        {
            result.Figure(BestName(attribute), accuracy.Max()).Figure(ChanceName(attribute), ProbeSweepResult.Chance(attribute));
        }
        var png = Path.Combine(inputs.WorkDirectory, "probe.png");
        ProbePlotPng.Write(sweep, png);
        result.Picture(png);
        result.Details["hooks"] = ResultJson.Node(sweep.HookNames);
        result.Details["position"] = config.Position;
        result.Details["accuracy"] = ResultJson.Node(sweep.Accuracy.ToDictionary(kv => Word(kv.Key), kv => kv.Value));
        return result.ControlsOf(Figures);
    }
}
