using MMInterp.Kernels.Models.Clip;

namespace MMInterp.Kernels.Models.Vlm;

/// <summary>A tiny generative VLM's shape: CLIP vision tower -> adapter -> pre-LN causal decoder LM over a word vocabulary.
/// The LM reads [patch tokens from the adapter] + [question tokens] and predicts the answer as the next token.</summary>
public sealed record VlmConfig
{
    public ClipVisionConfig Vision { get; init; } = new();
    /// <summary>"linear" or "mlp" (Linear-GELU-Linear, as LLaVA-1.5).</summary>
    public string Adapter { get; init; } = "mlp";
    public ClipTowerConfig Lm { get; init; } = new() { HiddenSize = 64, IntermediateSize = 256, NumLayers = 2, NumHeads = 4, HiddenAct = "gelu" };
    public int VocabSize { get; init; } = 64;
    /// <summary>Question tokens the LM has positions for (after the image tokens).</summary>
    public int MaxQuestionTokens { get; init; } = 12;
    /// <summary>Image tokens attend to each other in both directions (a prefix LM, as PaliGemma); question tokens stay
    /// causal. Off (plain causal, as LLaVA) by default so checkpoints saved before the option load unchanged. A patch then
    /// sees its whole object, which the LM needs: the frozen CLIP's patch states hold colour (per-patch probe 0.99) but
    /// not shape (0.3, chance 0.17), so the object's shape must be gathered across its patches before a question can
    /// find "the circle".</summary>
    public bool BidirectionalImage { get; init; }
    /// <summary>Initialise the LM position embeddings of the image tokens as a 2-D sine/cosine grid at unit scale (still
    /// learned) instead of random at std 0.1. Initialisation only, so older checkpoints load unchanged. The adapter's
    /// tokens are at unit scale, and a 0.1-scale random position left "where is the circle?" at chance even on
    /// one-object scenes.</summary>
    public bool GridImagePositions { get; init; }

    /// <summary>Image tokens the LM sees: one per patch (the vision CLS token is dropped, as LLaVA does).</summary>
    public int ImageTokens => Vision.PatchesPerSide * Vision.PatchesPerSide;
    public int MaxPositions => ImageTokens + MaxQuestionTokens;

    /// <summary>Throws an ArgumentException naming the first bad field.</summary>
    public VlmConfig Validate()
    {
        Vision.Tower.Validate("vision");
        Lm.Validate("lm");
        if (Vision.PatchSize <= 0 || Vision.ImageSize <= 0 || Vision.ImageSize % Vision.PatchSize != 0)
            throw new ArgumentException($"vision.image_size ({Vision.ImageSize}) must be a positive multiple of patch_size ({Vision.PatchSize})", "PatchSize");
        if (Vision.ImageSize > 1 << 14) throw new ArgumentException($"vision.image_size must be at most {1 << 14}, got {Vision.ImageSize}", "ImageSize");
        if (Vision.NumChannels is <= 0 or > 64) throw new ArgumentException($"vision.num_channels must be in 1..64, got {Vision.NumChannels}", "NumChannels");
        if (Adapter is not ("linear" or "mlp")) throw new ArgumentException($"Adapter must be 'linear' or 'mlp', got '{Adapter}'", nameof(Adapter));
        if (VocabSize is < 2 or > 1 << 24) throw new ArgumentException($"VocabSize must be in 2..{1 << 24}, got {VocabSize}", nameof(VocabSize));
        if (GridImagePositions && Lm.HiddenSize % 4 != 0)
            throw new ArgumentException($"GridImagePositions needs an LM width divisible by 4, got {Lm.HiddenSize}", nameof(GridImagePositions));
        if (MaxQuestionTokens is < 1 or > 1 << 16) throw new ArgumentException($"MaxQuestionTokens must be in 1..{1 << 16}, got {MaxQuestionTokens}", nameof(MaxQuestionTokens));
        return this;
    }

    /// <summary>The parameter count this config implies (vision tower, adapter, LM), from the sizes alone.</summary>
    public double ParameterCount
    {
        get
        {
            double hv = Vision.Tower.HiddenSize, hl = Lm.HiddenSize, v = VocabSize;
            var adapter = hv * hl + hl + (Adapter == "mlp" ? hl * hl + hl : 0) + 2 * hl;
            var lm = v * hl + (double)MaxPositions * hl + Lm.EncoderParameters + 2 * hl + hl * v;
            return Vision.ParameterCount + adapter + lm;
        }
    }
}
