using MMInterp.Kernels.ShapesWorld;

namespace MMInterp.Kernels.Interp.Diffusion;

/// <summary>One level's SAE and its held-out reconstruction: FVU against predicting the mean row (explained variance
/// = 1 - FVU), the squared error as a share of predicting zero, mean active latents (L0), and features that never fired.</summary>
public sealed record TimestepSaeLevel(double T, string Name, string WeightsFile, double Fvu, double ExplainedVariance,
    double ErrorOverZero, double L0, double DeadShare);

/// <summary>Temporal evolution read by single SAE features (issue 8 item 3, beside the probe version): per attribute and
/// level, the held-out AUROC (null caption, so through the pixels) of the feature chosen on the training images for each
/// attribute value, averaged over values; Earliest = the noisiest level reaching Threshold (NaN when none does).</summary>
public sealed record FeatureDecodability(IReadOnlyList<double> Timesteps, double Threshold,
    IReadOnlyDictionary<ObjectAttribute, IReadOnlyList<double>> Auroc, IReadOnlyDictionary<ObjectAttribute, double> Earliest);

/// <summary>What <see cref="TimestepSaes.Train(Models.Diffusion.IZooDenoiser, TimestepSaeConfig, string, Action{double, string}?)"/>
/// wrote: one SAE per level under Directory/t0.500/sae.safetensors, listed in timestep-saes.json.</summary>
public sealed record TimestepSaeResult(string Hook, int D, int DSae, IReadOnlyList<TimestepSaeLevel> Levels,
    FeatureDecodability? Decodability, string Directory);
