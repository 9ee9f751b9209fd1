using System.Text.Json;
using System.Text.Json.Serialization;
using MMInterp.Kernels.Tensors;

namespace MMInterp.Kernels.Sae;

/// <summary>
/// Architecture of one SAE (SAELens vocabulary: d_in, d_sae, k, apply_b_dec_to_input, normalize_activations...).
/// Validated at construction through <see cref="Validate"/>; a bad value throws ArgumentException naming the field.
/// </summary>
public sealed record SaeConfig
{
    public required SaeKind Kind { get; init; }
    /// <summary>Input width d.</summary>
    public required int DIn { get; init; }
    /// <summary>Dictionary size m.</summary>
    public required int DSae { get; init; }
    /// <summary>Active latents per row (TopK) or mean per row (BatchTopK).</summary>
    public int K { get; init; } = 32;
    /// <summary>Subtract b_dec from the input before encoding.</summary>
    public bool PreEncoderBias { get; init; } = true;
    /// <summary>Keep decoder rows at unit norm (renormalise after every step, project out the parallel gradient).</summary>
    public bool UnitNormDecoder { get; init; } = false;
    /// <summary>Initialise W_enc = W_dec^T.</summary>
    public bool TiedInit { get; init; } = true;
    /// <summary>Scale inputs so that E||x|| = sqrt(d); the factor is estimated once and stored with the weights.</summary>
    public bool NormalizeInput { get; init; } = false;
    /// <summary>Initial decoder row norm (SAELens decoder_init_norm); ignored when UnitNormDecoder.</summary>
    public double DecoderInitNorm { get; init; } = 0.1;
    /// <summary>JumpReLU: initial threshold.</summary>
    public double JumpReluInitThreshold { get; init; } = 0.001;
    /// <summary>JumpReLU: kernel bandwidth epsilon of the straight-through estimator.</summary>
    public double JumpReluBandwidth { get; init; } = 0.001;
    public long Seed { get; init; } = 0;

    public SaeConfig Validate()
    {
        if (!Enum.IsDefined(Kind)) throw new ArgumentException($"{nameof(Kind)}: unknown SAE kind {(int)Kind}", nameof(Kind));
        if (DIn <= 0) throw new ArgumentException($"{nameof(DIn)} must be positive, got {DIn}", nameof(DIn));
        if (DSae <= 0) throw new ArgumentException($"{nameof(DSae)} must be positive, got {DSae}", nameof(DSae));
        if (Kind is SaeKind.TopK or SaeKind.BatchTopK && (K <= 0 || K > DSae))
            throw new ArgumentException($"{nameof(K)} must be in 1..{nameof(DSae)} ({DSae}) for {Kind}, got {K}", nameof(K));
        if (!(DecoderInitNorm > 0) || double.IsInfinity(DecoderInitNorm))
            throw new ArgumentException($"{nameof(DecoderInitNorm)} must be a positive finite number, got {DecoderInitNorm}", nameof(DecoderInitNorm));
        if (Kind == SaeKind.JumpRelu)
        {
            if (!(JumpReluInitThreshold > 0) || double.IsInfinity(JumpReluInitThreshold))
                throw new ArgumentException($"{nameof(JumpReluInitThreshold)} must be positive, got {JumpReluInitThreshold}", nameof(JumpReluInitThreshold));
            if (!(JumpReluBandwidth > 0) || double.IsInfinity(JumpReluBandwidth))
                throw new ArgumentException($"{nameof(JumpReluBandwidth)} must be positive, got {JumpReluBandwidth}", nameof(JumpReluBandwidth));
        }
        if (MemoryBudget.Exceeds(ParameterCount * sizeof(float), "parameters") is { } problem)
            throw new ArgumentException($"{nameof(DSae)}: an SAE of d_in {DIn} x d_sae {DSae} {problem}", nameof(DSae));
        return this;
    }

    /// <summary>Parameters this config implies (encoder and decoder matrices, both biases, JumpReLU's thresholds).</summary>
    [JsonIgnore]
    public double ParameterCount => 2.0 * DIn * DSae + DSae + DIn + (Kind == SaeKind.JumpRelu ? DSae : 0);

    private static readonly JsonSerializerOptions Json = new() { Converters = { new JsonStringEnumConverter() } };
    public string ToJson() => JsonSerializer.Serialize(this, Json);
    public static SaeConfig FromJson(string json)
    {
        try { return (JsonSerializer.Deserialize<SaeConfig>(json, Json) ?? throw new ArgumentException("config json is empty")).Validate(); }
        catch (JsonException e) { throw new ArgumentException($"SAE config is not valid JSON ({e.Message})", e); }
    }
}
