namespace MMInterp.Kernels.Models.Vlm;

/// <summary>Held-out answer accuracy of a tiny VLM: per question type (all questions of each held-out scene) and overall;
/// <see cref="TwoObjectAccuracyByType"/> is the same on two-object scenes only, where an object question is answered
/// right only when the model finds the object the question names (a model that ignores the name scores about half).</summary>
public sealed record VlmMetrics(IReadOnlyDictionary<string, double> AccuracyByType, IReadOnlyDictionary<string, int> QuestionsByType,
    double Overall, int EvalImages, IReadOnlyDictionary<string, double>? TwoObjectAccuracyByType = null)
{
    public double Colour => AccuracyByType.GetValueOrDefault("colour", double.NaN);
    public double Shape => AccuracyByType.GetValueOrDefault("shape", double.NaN);
}
