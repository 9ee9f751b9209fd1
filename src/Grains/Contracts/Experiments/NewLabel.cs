namespace MMInterp.Grains.Contracts.Experiments;

/// <summary>A name for a feature and how it was found; <paramref name="Score"/> is the method's own confidence.</summary>
[GenerateSerializer, Immutable]
public sealed record NewLabel(int FeatureIndex, string Label, double Score, LabelMethod Method, string? ExperimentId = null)
{
    public NewLabel Validated()
    {
        if (FeatureIndex < 0) throw new ArgumentException($"feature index must be >= 0, got {FeatureIndex}");
        if (string.IsNullOrWhiteSpace(Label)) throw new ArgumentException($"label for feature {FeatureIndex} is empty");
        if (!double.IsFinite(Score)) throw new ArgumentException($"label score must be finite, got {Score} for '{Label}'");
        if (!Enum.IsDefined(Method)) throw new ArgumentException($"unknown label method {(int)Method}");
        RegistryIds.ValidateOptional(ExperimentId, "experiment id");
        return this;
    }
}
