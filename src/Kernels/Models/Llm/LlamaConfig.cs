namespace MMInterp.Kernels.Models.Llm;

/// <summary>
/// The shape of a Llama-family decoder: the fields of HF's LlamaConfig / Qwen2Config that change the computation.
/// Qwen2 is Llama with biases on q/k/v (<see cref="QkvBias"/>); Llama's attention_bias puts them on q/k/v and o.
/// </summary>
public sealed record LlamaConfig
{
    /// <summary>HF model_type: "llama" or "qwen2" (errors and written configs use it).</summary>
    public string ModelType { get; init; } = "llama";
    public int VocabSize { get; init; } = 100;
    public int HiddenSize { get; init; } = 64;
    public int IntermediateSize { get; init; } = 192;
    public int NumLayers { get; init; } = 2;
    public int NumHeads { get; init; } = 4;
    /// <summary>Grouped-query attention: key/value heads, each shared by NumHeads / NumKvHeads query heads.</summary>
    public int NumKvHeads { get; init; } = 4;
    /// <summary>HF head_dim when a config sets it; otherwise HiddenSize / NumHeads.</summary>
    public int? ExplicitHeadDim { get; init; }
    public double RmsNormEps { get; init; } = 1e-6;
    public double RopeTheta { get; init; } = 10000;
    public RopeScaling? RopeScaling { get; init; }
    public int MaxPositions { get; init; } = 2048;
    public bool TieWordEmbeddings { get; init; }
    /// <summary>Biases on q_proj, k_proj, v_proj (Qwen2; Llama with attention_bias).</summary>
    public bool QkvBias { get; init; }
    /// <summary>Bias on o_proj (Llama with attention_bias).</summary>
    public bool OutputBias { get; init; }
    /// <summary>Biases on gate/up/down_proj (Llama's mlp_bias).</summary>
    public bool MlpBias { get; init; }
    public int? BosTokenId { get; init; }
    /// <summary>End-of-sequence ids (Llama 3 configs list several); empty when the config names none.</summary>
    public IReadOnlyList<int> EosTokenIds { get; init; } = [];

    public int HeadDim => ExplicitHeadDim ?? HiddenSize / NumHeads;
    public int QueriesPerKv => NumHeads / NumKvHeads;

    // Far beyond any published decoder, yet small enough that products of sizes stay exact in a double.
    const int MaxWidth = 1 << 17, MaxLayers = 1024;

    /// <summary>Throws an ArgumentException naming the first bad field (HF's field names).</summary>
    public LlamaConfig Validate()
    {
        if (ModelType is not ("llama" or "qwen2")) throw new ArgumentException($"model_type '{ModelType}' is not a Llama-family decoder (expected llama or qwen2)", nameof(ModelType));
        if (VocabSize is <= 0 or > 1 << 24) throw new ArgumentException($"vocab_size must be in 1..{1 << 24}, got {VocabSize}", nameof(VocabSize));
        if (HiddenSize is <= 0 or > MaxWidth) throw new ArgumentException($"hidden_size must be in 1..{MaxWidth}, got {HiddenSize}", nameof(HiddenSize));
        if (IntermediateSize is <= 0 or > 8 * MaxWidth) throw new ArgumentException($"intermediate_size must be in 1..{8 * MaxWidth}, got {IntermediateSize}", nameof(IntermediateSize));
        if (NumLayers is <= 0 or > MaxLayers) throw new ArgumentException($"num_hidden_layers must be in 1..{MaxLayers}, got {NumLayers}", nameof(NumLayers));
        if (NumHeads is <= 0 or > MaxWidth) throw new ArgumentException($"num_attention_heads must be positive, got {NumHeads}", nameof(NumHeads));
        if (ExplicitHeadDim is null && HiddenSize % NumHeads != 0)
            throw new ArgumentException($"num_attention_heads ({NumHeads}) must divide hidden_size ({HiddenSize}) when head_dim is not given", nameof(NumHeads));
        if (NumKvHeads <= 0 || NumHeads % NumKvHeads != 0)
            throw new ArgumentException($"num_key_value_heads must divide num_attention_heads ({NumHeads}), got {NumKvHeads}", nameof(NumKvHeads));
        // Rotary embeddings turn pairs of channels, so a head needs an even width.
        if (HeadDim is <= 0 or > MaxWidth || HeadDim % 2 != 0) throw new ArgumentException($"head_dim must be a positive even number, got {HeadDim}", nameof(ExplicitHeadDim));
        if (!(RmsNormEps is > 0 and < 1)) throw new ArgumentException($"rms_norm_eps must be in (0, 1), got {RmsNormEps}", nameof(RmsNormEps));
        if (!(RopeTheta > 1) || !double.IsFinite(RopeTheta)) throw new ArgumentException($"rope_theta must be a finite number above 1, got {RopeTheta}", nameof(RopeTheta));
        if (MaxPositions is <= 0 or > 1 << 24) throw new ArgumentException($"max_position_embeddings must be in 1..{1 << 24}, got {MaxPositions}", nameof(MaxPositions));
        if (BosTokenId is int bos && (bos < 0 || bos >= VocabSize)) throw new ArgumentException($"bos_token_id must be a vocabulary id (0..{VocabSize - 1}), got {bos}", nameof(BosTokenId));
        foreach (var eos in EosTokenIds)
            if (eos < 0 || eos >= VocabSize) throw new ArgumentException($"eos_token_id must be vocabulary ids (0..{VocabSize - 1}), got {eos}", nameof(EosTokenIds));
        RopeScaling?.Validate(MaxPositions);
        return this;
    }

    /// <summary>Parameters of HF's LlamaForCausalLM / Qwen2ForCausalLM state dict, from the sizes alone (a tied head is
    /// counted once): what a load checks against memory before it allocates anything.</summary>
    public double ParameterCount
    {
        get
        {
            double h = HiddenSize, i = IntermediateSize, q = (double)NumHeads * HeadDim, kv = (double)NumKvHeads * HeadDim;
            var attention = h * q + 2 * h * kv + q * h + (QkvBias ? q + 2 * kv : 0) + (OutputBias ? h : 0);
            var mlp = 3 * h * i + (MlpBias ? 2 * i + h : 0);
            var embeddings = (double)VocabSize * h * (TieWordEmbeddings ? 1 : 2);
            return embeddings + NumLayers * (attention + mlp + 2 * h) + h;
        }
    }
}
