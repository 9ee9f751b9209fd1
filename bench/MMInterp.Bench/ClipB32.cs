using MMInterp.Kernels.Models.Clip;

namespace MMInterp.Bench;

/// <summary>The shapes of Hugging Face's openai/clip-vit-base-patch32 config.json (weights random: no hub here).</summary>
public static class ClipB32
{
    public static ClipConfig Config => new()
    {
        Vision = new ClipVisionConfig
        {
            Tower = new ClipTowerConfig { HiddenSize = 768, IntermediateSize = 3072, NumLayers = 12, NumHeads = 12, HiddenAct = "quick_gelu" },
            ImageSize = 224, PatchSize = 32,
        },
        Text = new ClipTextConfig
        {
            Tower = new ClipTowerConfig { HiddenSize = 512, IntermediateSize = 2048, NumLayers = 12, NumHeads = 8, HiddenAct = "quick_gelu" },
            VocabSize = 49408, MaxPositions = 77, EosTokenId = 2, BosTokenId = 0, PadTokenId = 1,
        },
        ProjectionDim = 512,
        LogitScaleInit = 2.6592,
    };

    /// <summary>OpenAI CLIP's normalisation (preprocessor_config.json image_mean / image_std), as doubles rounded to
    /// float the way torch.tensor([...]) rounds them on the PyTorch side.</summary>
    public static readonly float[] Mean = [(float)0.48145466, (float)0.4578275, (float)0.40821073];
    public static readonly float[] Std = [(float)0.26862954, (float)0.26130258, (float)0.27577711];
}
