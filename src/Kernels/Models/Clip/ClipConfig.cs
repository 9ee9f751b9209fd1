namespace MMInterp.Kernels.Models.Clip;

/// <summary>One transformer tower's shape (the fields of HF's CLIPTextConfig / CLIPVisionConfig we use).</summary>
public sealed record ClipTowerConfig
{
    public int HiddenSize { get; init; } = 64;
    public int IntermediateSize { get; init; } = 256;
    public int NumLayers { get; init; } = 2;
    public int NumHeads { get; init; } = 4;
    public double LayerNormEps { get; init; } = 1e-5;
    /// <summary>"quick_gelu" (CLIP's), "gelu", "gelu_new"/"gelu_pytorch_tanh".</summary>
    public string HiddenAct { get; init; } = "quick_gelu";

    public int HeadDim => HiddenSize / NumHeads;

    // Far beyond any published transformer, yet small enough that products of sizes stay exact in a double.
    internal const int MaxWidth = 1 << 17, MaxLayers = 1024;

    internal void Validate(string tower)
    {
        if (HiddenSize is <= 0 or > MaxWidth) throw new ArgumentException($"{tower}.HiddenSize must be in 1..{MaxWidth}, got {HiddenSize}", nameof(HiddenSize));
        if (NumHeads <= 0 || HiddenSize % NumHeads != 0) throw new ArgumentException($"{tower}.NumHeads must divide HiddenSize {HiddenSize}, got {NumHeads}", nameof(NumHeads));
        if (IntermediateSize is <= 0 or > 8 * MaxWidth) throw new ArgumentException($"{tower}.IntermediateSize must be in 1..{8 * MaxWidth}, got {IntermediateSize}", nameof(IntermediateSize));
        if (NumLayers is <= 0 or > MaxLayers) throw new ArgumentException($"{tower}.NumLayers must be in 1..{MaxLayers}, got {NumLayers}", nameof(NumLayers));
        // Published models use 1e-12..1e-5; an epsilon of 1 or more swamps the variance it guards.
        if (!(LayerNormEps is > 0 and < 1)) throw new ArgumentException($"{tower}.LayerNormEps must be in (0, 1), got {LayerNormEps}", nameof(LayerNormEps));
        Activations.Check(HiddenAct, $"{tower}.HiddenAct");
    }

    /// <summary>Parameters of the encoder layers (attention q/k/v/out, two layer norms, the MLP), without embeddings.</summary>
    public double EncoderParameters
    {
        get
        {
            double h = HiddenSize, i = IntermediateSize;
            return NumLayers * (4 * (h * h + h) + 4 * h + h * i + i + i * h + h);
        }
    }
}

public sealed record ClipVisionConfig
{
    public ClipTowerConfig Tower { get; init; } = new();
    public int ImageSize { get; init; } = 32;
    public int PatchSize { get; init; } = 4;
    public int NumChannels { get; init; } = 3;

    public int PatchesPerSide => ImageSize / PatchSize;
    /// <summary>Patches plus the class token.</summary>
    public int NumPositions => PatchesPerSide * PatchesPerSide + 1;

    /// <summary>Parameters of the vision tower (embeddings, pre/post layer norms, encoder), from the sizes alone.</summary>
    public double ParameterCount
    {
        get
        {
            double h = Tower.HiddenSize, p = PatchSize;
            return h + h * NumChannels * p * p + (double)NumPositions * h + 4 * h + Tower.EncoderParameters;
        }
    }
}

public sealed record ClipTextConfig
{
    public ClipTowerConfig Tower { get; init; } = new();
    public int VocabSize { get; init; } = 49408;
    public int MaxPositions { get; init; } = 77;
    /// <summary>HF semantics: 2 means "pool at argmax(input_ids)" (legacy CLIP vocabularies put EOS last).</summary>
    public int EosTokenId { get; init; } = 2;
    public int BosTokenId { get; init; } = 1;
    public int PadTokenId { get; init; } = 1;
}

/// <summary>A CLIP model's shape: HF CLIPConfig (text_config, vision_config, projection_dim, logit_scale_init_value).</summary>
public sealed record ClipConfig
{
    public ClipTextConfig Text { get; init; } = new();
    public ClipVisionConfig Vision { get; init; } = new();
    public int ProjectionDim { get; init; } = 64;
    public double LogitScaleInit { get; init; } = 2.6592;

    /// <summary>Throws an ArgumentException naming the first bad field.</summary>
    public ClipConfig Validate()
    {
        Text.Tower.Validate("text_config");
        Vision.Tower.Validate("vision_config");
        if (Text.VocabSize is <= 0 or > 1 << 24) throw new ArgumentException($"text_config.vocab_size must be in 1..{1 << 24}, got {Text.VocabSize}", "VocabSize");
        if (Text.MaxPositions is <= 1 or > 1 << 20) throw new ArgumentException($"text_config.max_position_embeddings must be in 2..{1 << 20}, got {Text.MaxPositions}", "MaxPositions");
        if (Text.EosTokenId < 0 || Text.EosTokenId >= Text.VocabSize) throw new ArgumentException($"text_config.eos_token_id must be a vocabulary id, got {Text.EosTokenId}", "EosTokenId");
        if (Vision.PatchSize <= 0 || Vision.ImageSize <= 0 || Vision.ImageSize % Vision.PatchSize != 0)
            throw new ArgumentException($"vision_config.image_size ({Vision.ImageSize}) must be a positive multiple of patch_size ({Vision.PatchSize})", "PatchSize");
        if (Vision.ImageSize > 1 << 14) throw new ArgumentException($"vision_config.image_size must be at most {1 << 14}, got {Vision.ImageSize}", "ImageSize");
        if (Vision.NumChannels is <= 0 or > 64) throw new ArgumentException($"vision_config.num_channels must be in 1..64, got {Vision.NumChannels}", "NumChannels");
        if (ProjectionDim is <= 0 or > ClipTowerConfig.MaxWidth) throw new ArgumentException($"projection_dim must be in 1..{ClipTowerConfig.MaxWidth}, got {ProjectionDim}", nameof(ProjectionDim));
        if (!double.IsFinite(LogitScaleInit)) throw new ArgumentException($"logit_scale_init_value must be finite, got {LogitScaleInit}", nameof(LogitScaleInit));
        return this;
    }

    /// <summary>The parameter count this config implies (HF CLIPModel's state dict), from the sizes alone: what a load
    /// checks against memory before it allocates anything.</summary>
    public double ParameterCount
    {
        get
        {
            double ht = Text.Tower.HiddenSize, hv = Vision.Tower.HiddenSize;
            var text = (double)Text.VocabSize * ht + Text.MaxPositions * ht + Text.Tower.EncoderParameters + 2 * ht;
            return text + Vision.ParameterCount + ProjectionDim * (hv + ht) + 1;
        }
    }
}
