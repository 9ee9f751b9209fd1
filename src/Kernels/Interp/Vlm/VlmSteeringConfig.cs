namespace MMInterp.Kernels.Interp.Vlm;

/// <summary>Steering a VLM through its vision tower: per value of <see cref="Attribute"/>, the SAE feature that best
/// detects it (AUROC on the selection images) is clamped on held-out one-object images whose object has another value,
/// and the VLM is asked the attribute question. Validated at the edge: bad fields throw naming themselves.</summary>
public sealed record VlmSteeringConfig
{
    /// <summary>Vision hook the SAE reads and the clamp writes, e.g. vision.blocks.0.hook_resid_post.</summary>
    public string Hook { get; init; } = "vision.blocks.0.hook_resid_post";
    /// <summary>"colour" or "shape": the concept family steered and the question asked.</summary>
    public string Attribute { get; init; } = "colour";
    /// <summary>Images the features are chosen on (per-image max latent vs ground truth, AUROC).</summary>
    public long SelectionSeed { get; init; } = 2_000_003;
    public int SelectionImages { get; init; } = 512;
    /// <summary>Held-out images steered; must differ from SelectionSeed.</summary>
    public long EvalSeed { get; init; } = 3_000_017;
    /// <summary>Steered images per concept (each shows another value of the attribute).</summary>
    public int ImagesPerConcept { get; init; } = 32;
    /// <summary>The clamp value as a multiple of the feature's largest activation on the selection images.</summary>
    public double ClampMultiple { get; init; } = 3.0;
    /// <summary>Seed of the random-direction control.</summary>
    public long Seed { get; init; } = 0;
    public int BatchSize { get; init; } = 128;

    public static VlmSteeringConfig Default { get; } = new();

    /// <summary>Throws an ArgumentException naming the first bad field.</summary>
    public VlmSteeringConfig Validate()
    {
        static void Check(bool ok, string field, object value, string rule)
        {
            if (!ok) throw new ArgumentException($"{field} {rule}, got {value}", field);
        }
        Check(!string.IsNullOrWhiteSpace(Hook) && Hook.StartsWith("vision.", StringComparison.Ordinal), nameof(Hook), Hook, "must name a vision.* hook");
        Check(Attribute is "colour" or "shape", nameof(Attribute), Attribute, "must be 'colour' or 'shape'");
        Check(SelectionImages >= 16, nameof(SelectionImages), SelectionImages, "must be at least 16");
        Check(EvalSeed != SelectionSeed, nameof(EvalSeed), EvalSeed, "must differ from SelectionSeed (held-out images)");
        Check(ImagesPerConcept >= 1, nameof(ImagesPerConcept), ImagesPerConcept, "must be at least 1");
        Check(ClampMultiple > 0 && double.IsFinite(ClampMultiple), nameof(ClampMultiple), ClampMultiple, "must be positive and finite");
        Check(BatchSize >= 1, nameof(BatchSize), BatchSize, "must be at least 1");
        return this;
    }
}
