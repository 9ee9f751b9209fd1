using MMInterp.Kernels.Models.Clip;
using MMInterp.Kernels.Models.Vlm;
using MMInterp.Kernels.ShapesWorld;

namespace MMInterp.Kernels.Zoo;

/// <summary>Everything that determines a tiny-VLM zoo model (same config + same code = same weights, so the store keys
/// the result by a hash of this record). The vision tower's shape comes from <see cref="Clip"/>; with
/// <see cref="InitFromClip"/> it starts from that zoo CLIP's weights and is then FINE-TUNED jointly with the adapter and
/// LM on the question-answering loss: the contrastive CLIP learns shape poorly, and the supervised QA gradient through
/// the tower is what makes shape questions answerable.</summary>
public sealed record VlmZooConfig
{
    public long Seed { get; init; } = 0;
    /// <summary>Held-out ShapesWorld split for the metrics; must differ from Seed.</summary>
    public long EvalSeed { get; init; } = 1_000_003;
    /// <summary>600 x 64 questions, as measured (held-out colour 0.71, shape 0.17, overall 0.53; 1396 s on one thread of the
    /// heavily shared machine). Shape is not learned at this budget: the 0.85 bar is NOT met yet.</summary>
    public int Steps { get; init; } = 600;
    public int BatchSize { get; init; } = 64;
    public double LearningRate { get; init; } = 3e-3;
    public double WeightDecay { get; init; } = 0.01;
    public double WarmupFraction { get; init; } = 0.03;
    /// <summary>The zoo CLIP whose vision tower the VLM uses (its shape, and its weights with InitFromClip).</summary>
    public ClipZooConfig Clip { get; init; } = ClipZooConfig.Default;
    public bool InitFromClip { get; init; } = true;
    /// <summary>Last CLIP vision layers left out: the VLM reads the patch states of layer VisionLayers-1-Drop. A contrastive
    /// CLIP only trains its last layer's class token, so its last patch states are poor local features; LLaVA reads the
    /// penultimate layer for the same reason.</summary>
    public int DropVisionLayers { get; init; } = 1;
    /// <summary>"linear" or "mlp".</summary>
    public string Adapter { get; init; } = "mlp";
    public int LmWidth { get; init; } = 64;
    public int LmLayers { get; init; } = 2;
    public int LmHeads { get; init; } = 4;
    /// <summary>Share of training questions about colour, and about shape; the rest are spread over the other types.</summary>
    public double ColourShare { get; init; } = 0.25;
    public double ShapeShare { get; init; } = 0.45;
    public double OverlayRate { get; init; } = 0.0;
    public int EvalImages { get; init; } = 512;
    /// <summary>libtorch threads (one: the shared 2-core machine runs slower with two under contention).</summary>
    public int Threads { get; init; } = 1;

    public static VlmZooConfig Default { get; } = new();

    /// <summary>Throws an ArgumentException naming the first bad field.</summary>
    public VlmZooConfig Validate()
    {
        static void Check(bool ok, string field, object value, string rule)
        {
            if (!ok) throw new ArgumentException($"{field} {rule}, got {value}", field);
        }
        Check(EvalSeed != Seed, nameof(EvalSeed), EvalSeed, "must differ from Seed (held-out split)");
        Check(Steps >= 1, nameof(Steps), Steps, "must be at least 1");
        Check(BatchSize >= 1, nameof(BatchSize), BatchSize, "must be at least 1");
        Check(LearningRate > 0 && LearningRate < 1, nameof(LearningRate), LearningRate, "must be in (0, 1)");
        Check(WeightDecay >= 0, nameof(WeightDecay), WeightDecay, "must be non-negative");
        Check(WarmupFraction >= 0 && WarmupFraction < 1, nameof(WarmupFraction), WarmupFraction, "must be in [0, 1)");
        Check(Adapter is "linear" or "mlp", nameof(Adapter), Adapter, "must be 'linear' or 'mlp'");
        Check(LmHeads >= 1 && LmWidth > 0 && LmWidth % LmHeads == 0, nameof(LmWidth), LmWidth, $"must be a positive multiple of LmHeads {LmHeads}");
        Check(Clip is not null && DropVisionLayers >= 0 && DropVisionLayers < Clip.VisionLayers, nameof(DropVisionLayers), DropVisionLayers,
            "must be in [0, Clip.VisionLayers)");
        Check(LmLayers >= 1, nameof(LmLayers), LmLayers, "must be at least 1");
        Check(ColourShare >= 0 && ShapeShare >= 0 && ColourShare + ShapeShare <= 1, nameof(ColourShare), $"{ColourShare}+{ShapeShare}",
            "and ShapeShare must be non-negative with a sum of at most 1");
        Check(OverlayRate >= 0 && OverlayRate <= 1, nameof(OverlayRate), OverlayRate, "must be in [0, 1]");
        Check(EvalImages >= 16, nameof(EvalImages), EvalImages, "must be at least 16");
        Check(Threads >= 1, nameof(Threads), Threads, "must be at least 1");
        if (Clip is null) throw new ArgumentException("Clip must be set (it defines the vision tower)", nameof(Clip));
        Clip.Validate();
        World.Validate();
        return this;
    }

    public ShapesWorldConfig World => new() { ImageSize = Clip.ImageSize, OverlayRate = OverlayRate };

    public VlmConfig ModelConfig(int vocabSize)
    {
        var vision = Clip.ModelConfig(2, 1, 0).Vision;
        return ModelConfig(vocabSize, vision with { Tower = vision.Tower with { NumLayers = vision.Tower.NumLayers - DropVisionLayers } });
    }

    VlmConfig ModelConfig(int vocabSize, ClipVisionConfig vision) => new()
    {
        Vision = vision,
        Adapter = Adapter,
        Lm = new ClipTowerConfig { HiddenSize = LmWidth, IntermediateSize = 4 * LmWidth, NumLayers = LmLayers, NumHeads = LmHeads, HiddenAct = "gelu" },
        VocabSize = vocabSize,
        MaxQuestionTokens = 10,
    };
}
