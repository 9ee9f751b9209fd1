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

    internal void Validate(string tower)
    {
        if (HiddenSize <= 0) throw new ArgumentException($"{tower}.HiddenSize must be positive, got {HiddenSize}", nameof(HiddenSize));
        if (NumHeads <= 0 || HiddenSize % NumHeads != 0) throw new ArgumentException($"{tower}.NumHeads must divide HiddenSize {HiddenSize}, got {NumHeads}", nameof(NumHeads));
        if (IntermediateSize <= 0) throw new ArgumentException($"{tower}.IntermediateSize must be positive, got {IntermediateSize}", nameof(IntermediateSize));
        if (NumLayers <= 0) throw new ArgumentException($"{tower}.NumLayers must be positive, got {NumLayers}", nameof(NumLayers));
        if (!(LayerNormEps > 0)) throw new ArgumentException($"{tower}.LayerNormEps must be positive, got {LayerNormEps}", nameof(LayerNormEps));
        Activations.Check(HiddenAct, $"{tower}.HiddenAct");
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
        if (Text.VocabSize <= 0) throw new ArgumentException($"text_config.vocab_size must be positive, got {Text.VocabSize}", "VocabSize");
        if (Text.MaxPositions <= 1) throw new ArgumentException($"text_config.max_position_embeddings must be > 1, got {Text.MaxPositions}", "MaxPositions");
        if (Text.EosTokenId < 0 || Text.EosTokenId >= Text.VocabSize) throw new ArgumentException($"text_config.eos_token_id must be a vocabulary id, got {Text.EosTokenId}", "EosTokenId");
        if (Vision.PatchSize <= 0 || Vision.ImageSize <= 0 || Vision.ImageSize % Vision.PatchSize != 0)
            throw new ArgumentException($"vision_config.image_size ({Vision.ImageSize}) must be a positive multiple of patch_size ({Vision.PatchSize})", "PatchSize");
        if (Vision.NumChannels <= 0) throw new ArgumentException($"vision_config.num_channels must be positive, got {Vision.NumChannels}", "NumChannels");
        if (ProjectionDim <= 0) throw new ArgumentException($"projection_dim must be positive, got {ProjectionDim}", nameof(ProjectionDim));
        if (!double.IsFinite(LogitScaleInit)) throw new ArgumentException($"logit_scale_init_value must be finite, got {LogitScaleInit}", nameof(LogitScaleInit));
        return this;
    }
}
