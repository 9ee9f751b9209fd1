using System.ComponentModel;
using MMInterp.Kernels.Interp.Features;
using MMInterp.Kernels.Interp.Steering;
using MMInterp.Kernels.Interp.Typographic;

namespace MMInterp.Kernels.Analyses;

/// <summary>The options of <see cref="ClipStudyAnalysis"/>.</summary>
public sealed record ClipStudyOptions
{
    [Description("held-out ShapesWorld images for statistics")] public int Images { get; init; } = FeatureStudyConfig.Default.Images;
    [Description("features that get top-example and histogram pictures")] public int Dashboards { get; init; } = 32;
    // Every live feature plus as many random directions takes tens of minutes on a CPU: a sample by default.
    [Description("features clamped in the steering test")] public int SteerFeatures { get; init; } = 48;
    [Description("images each steering trial is judged on")] public int SteerImages { get; init; } = SteerabilityConfig.Default.EvalImages;
    [Description("held-out images attacked")] public int TypographicImages { get; init; } = TypographicConfig.Default.EvalImages;
    [Description("word-reading features suppressed")] public int TopKText { get; init; } = TypographicConfig.Default.TopK;
    [Description("images the word-reading features are chosen on")] public int TypographicCalibrationImages { get; init; } = TypographicConfig.Default.CalibrationImages;
    [Description("word detectors whose zeroing is tried")] public int TypographicCandidates { get; init; } = TypographicConfig.Default.EffectCandidates;
    // Null: the tokens the dictionary's activation set holds, so a study reads the SAE where it was trained.
    [Description("tokens that count (statistics, steering clamps, suppression, free labels, concept directions): all, patch or cls; default: those the dictionary was trained on")]
    public string? Tokens { get; init; }
}
