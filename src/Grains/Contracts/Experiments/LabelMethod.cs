namespace MMInterp.Grains.Contracts.Experiments;

/// <summary>How a feature's label was found; stored in the registry by its name (free-label, steering, ...).</summary>
[GenerateSerializer]
public enum LabelMethod { FreeLabel, Steering, GroundTruth, Manual, AutoInterp }
