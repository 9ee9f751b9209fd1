namespace MMInterp.Kernels.Models.Llm;

/// <summary>
/// HF's rope_scaling for Llama-family configs, in the variants this decoder computes (transformers'
/// modeling_rope_utils): "linear" (inverse frequencies divided by factor), "dynamic" (NTK-aware: the base grows with
/// the sequence once it passes max_position_embeddings) and "llama3" (Llama 3.1: low frequencies divided by factor,
/// high ones kept, a smooth ramp between, by wavelength against original_max_position_embeddings).
/// </summary>
public sealed record RopeScaling
{
    public const string Linear = "linear", Dynamic = "dynamic", Llama3 = "llama3";

    public string Type { get; init; } = Linear;
    public double Factor { get; init; } = 1;
    /// <summary>llama3 only.</summary>
    public double LowFreqFactor { get; init; } = 1;
    public double HighFreqFactor { get; init; } = 4;
    public int OriginalMaxPositions { get; init; } = 8192;

    internal void Validate(int maxPositions)
    {
        if (Type is not (Linear or Dynamic or Llama3))
            throw new ArgumentException($"rope_scaling type '{Type}' is not supported (supported: linear, dynamic, llama3)", nameof(Type));
        // HF requires factor >= 1 for these types; below 1 would compress rather than stretch the positions.
        if (!(Factor >= 1) || !double.IsFinite(Factor)) throw new ArgumentException($"rope_scaling.factor must be a finite number >= 1, got {Factor}", nameof(Factor));
        if (Type != Llama3) return;
        if (!(LowFreqFactor > 0) || !(HighFreqFactor > LowFreqFactor) || !double.IsFinite(HighFreqFactor))
            throw new ArgumentException($"rope_scaling needs 0 < low_freq_factor < high_freq_factor, got {LowFreqFactor} and {HighFreqFactor}", nameof(HighFreqFactor));
        if (OriginalMaxPositions <= 0 || OriginalMaxPositions > maxPositions)
            throw new ArgumentException($"rope_scaling.original_max_position_embeddings must be in 1..max_position_embeddings ({maxPositions}), got {OriginalMaxPositions}", nameof(OriginalMaxPositions));
    }
}
