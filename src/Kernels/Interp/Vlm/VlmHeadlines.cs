namespace MMInterp.Kernels.Interp.Vlm;

/// <summary>The headline numbers of the VLM analyses, each beside its control, under the names the CLI prints and the
/// registry records. Localisation figures are left out when no prompt said where its object is (not scored).</summary>
public static class VlmHeadlines
{
    public static Dictionary<string, double> Tracing(TracingResult r)
    {
        var figures = new Dictionary<string, double> { ["clean_prob"] = r.MeanClean, ["corrupted_prob"] = r.MeanCorrupt };
        if (!r.AnyScored) return figures;
        figures["tracing_object_share"] = r.ObjectShare;
        figures["tracing_object_share_random_control"] = r.ChanceShare;
        figures["tracing_restore_object_prob"] = r.RestoreObjectProb;
        figures["tracing_restore_random_prob"] = r.RestoreRandomProb;
        return figures;
    }

    public static Dictionary<string, double> Knockout(KnockoutResult r)
    {
        var figures = new Dictionary<string, double>
        {
            ["knockout_clean_accuracy"] = r.CleanAccuracy,
            ["knockout_image_drop"] = r.Row("image", "all").ProbDrop,
        };
        if (!r.Rows.Any(x => x.Target == "object")) return figures;
        figures["knockout_object_drop"] = r.Row("object", "all").ProbDrop;
        figures["knockout_random_drop"] = r.Row("random", "all").ProbDrop;
        return figures;
    }
}
