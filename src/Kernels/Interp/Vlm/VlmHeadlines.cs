namespace MMInterp.Kernels.Interp.Vlm;

/// <summary>The headline numbers of the VLM analyses, each beside its control, under the names the CLI prints and the
/// registry records.</summary>
public static class VlmHeadlines
{
    public static Dictionary<string, double> Tracing(TracingResult r) => new()
    {
        ["tracing_object_share"] = r.ObjectShare, ["tracing_object_share_random_control"] = r.ChanceShare,
        ["tracing_restore_object_prob"] = r.RestoreObjectProb, ["tracing_restore_random_prob"] = r.RestoreRandomProb,
        ["clean_prob"] = r.MeanClean, ["corrupted_prob"] = r.MeanCorrupt,
    };

    public static Dictionary<string, double> Knockout(KnockoutResult r) => new()
    {
        ["knockout_clean_accuracy"] = r.CleanAccuracy,
        ["knockout_object_drop"] = r.Row("object", "all").ProbDrop,
        ["knockout_random_drop"] = r.Row("random", "all").ProbDrop,
        ["knockout_image_drop"] = r.Row("image", "all").ProbDrop,
    };
}
