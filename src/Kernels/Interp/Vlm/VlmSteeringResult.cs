namespace MMInterp.Kernels.Interp.Vlm;

/// <summary>One concept steered: its chosen feature (by AUROC on the selection images), the clamp value and, on
/// <see cref="Images"/> held-out images whose object has another value, the share answered with the concept's word
/// when steered, under the equal-norm random-direction control, and unsteered.</summary>
public sealed record VlmConceptSteering(string Concept, string Word, int Feature, double Auroc, double ClampValue, int Images,
    double Success, double RandomControl, double Baseline);

/// <summary>Steering through the vision encoder: per concept and pooled over all steered images.</summary>
public sealed record VlmSteeringResult(VlmSteeringConfig Config, int DSae, double CleanAccuracy, IReadOnlyList<VlmConceptSteering> Concepts)
{
    public int Trials => Concepts.Sum(c => c.Images);
    /// <summary>Share of steered images whose answer became the steered concept's word.</summary>
    public double Success => Pooled(c => c.Success);
    /// <summary>The same with a random unit direction of the clamp's norm added instead.</summary>
    public double RandomControl => Pooled(c => c.RandomControl);
    /// <summary>The same without any intervention (the model's own error rate towards that word).</summary>
    public double Baseline => Pooled(c => c.Baseline);

    double Pooled(Func<VlmConceptSteering, double> rate) => Trials == 0 ? double.NaN : Concepts.Sum(c => rate(c) * c.Images) / Trials;
}
