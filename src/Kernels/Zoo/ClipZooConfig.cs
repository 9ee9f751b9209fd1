using MMInterp.Kernels.Models.Clip;
using MMInterp.Kernels.ShapesWorld;

namespace MMInterp.Kernels.Zoo;

/// <summary>Everything that determines a tiny-CLIP zoo model. Same config + same code = same weights, so the
/// artefact store can key the result by a hash of this record.</summary>
public sealed record ClipZooConfig
{
    public long Seed { get; init; } = 0;
    /// <summary>Held-out ShapesWorld split for the metrics; must differ from Seed.</summary>
    public long EvalSeed { get; init; } = 1_000_003;
    public int Steps { get; init; } = 1800;
    public int BatchSize { get; init; } = 64;
    /// <summary>Peak learning rate. At 3e-3 both towers collapse to near-constant embeddings in the first steps (mean
    /// cosine 0.999) and shape never recovers; 5e-4 escapes that saddle.</summary>
    public double LearningRate { get; init; } = 5e-4;
    public double WeightDecay { get; init; } = 0.05;
    public double WarmupFraction { get; init; } = 0.05;
    public int ImageSize { get; init; } = 32;
    public int PatchSize { get; init; } = 4;
    public int VisionWidth { get; init; } = 64;
    public int VisionLayers { get; init; } = 3;
    public int TextWidth { get; init; } = 64;
    public int TextLayers { get; init; } = 2;
    public int Heads { get; init; } = 4;
    public int ProjectionDim { get; init; } = 64;
    public int ContextLength { get; init; } = 24;
    /// <summary>Share of training images (after the shape-first phase) that carry a written word naming a colour or a
    /// shape, so the model learns to read, as CLIP does.</summary>
    public double OverlayRate { get; init; } = 0.3;
    /// <summary>Share of those words that name another value than the object's (the rest name its own).</summary>
    public double WrongWordRate { get; init; } = 0.5;
    /// <summary>Captions name the written word ("... with the word blue", "the word blue"). Without it reading earns
    /// nothing in the contrastive loss and the model barely reads (follows the word on 0.03 of attacked scenes).</summary>
    public bool MentionWords { get; init; } = true;
    /// <summary>Share of each batch made of shape families: a scene and copies whose first object has another shape.
    /// Without these hard negatives colour, size and position explain the captions and shape is barely learned.</summary>
    public double ShapeFamilyShare { get; init; } = 0.5;
    /// <summary>Scenes per shape family (2 = pairs; up to the 6 shapes).</summary>
    public int ShapeFamilySize { get; init; } = 4;
    /// <summary>Share of each batch (after the shape-first phase) made of word families: a worded scene and copies whose
    /// word names other values, captions differing only in the word (<see cref="WordFamilies"/>). Only with words on the
    /// images (<see cref="OverlayRate"/> above 0) that the captions name (<see cref="MentionWords"/>).</summary>
    public double WordFamilyShare { get; init; } = 0.25;
    /// <summary>Share of each shape-first batch made of worded single objects captioned by their word alone ("the word
    /// blue"), so reading is learned before the objects explain the captions.</summary>
    public double WordFirstShare { get; init; } = 0.33;
    /// <summary>Scenes per word family.</summary>
    public int WordFamilySize { get; init; } = 4;
    /// <summary>Share of the steps, at the start, trained on single objects with shape-only captions.</summary>
    public double ShapeFirstFraction { get; init; } = 0.45;
    /// <summary>ln of the initial logit scale (HF logit_scale_init_value).</summary>
    public double LogitScaleInit { get; init; } = 2.6592;
    public int EvalImages { get; init; } = 512;
    /// <summary>libtorch threads. One: on the shared 2-core machine two threads measured 3x slower per step (spinning under contention).</summary>
    public int Threads { get; init; } = 1;

    public static ClipZooConfig Default { get; } = new();

    /// <summary>Throws an ArgumentException naming the first bad field.</summary>
    public ClipZooConfig Validate()
    {
        static void Check(bool ok, string field, object value, string rule)
        {
            if (!ok) throw new ArgumentException($"{field} {rule}, got {value}", field);
        }
        Check(EvalSeed != Seed, nameof(EvalSeed), EvalSeed, "must differ from Seed (held-out split)");
        Check(Steps >= 1, nameof(Steps), Steps, "must be at least 1");
        Check(BatchSize >= 2, nameof(BatchSize), BatchSize, "must be at least 2 (contrastive loss needs negatives)");
        Check(LearningRate > 0 && LearningRate < 1, nameof(LearningRate), LearningRate, "must be in (0, 1)");
        Check(WeightDecay >= 0, nameof(WeightDecay), WeightDecay, "must be non-negative");
        Check(WarmupFraction >= 0 && WarmupFraction < 1, nameof(WarmupFraction), WarmupFraction, "must be in [0, 1)");
        Check(PatchSize >= 1 && ImageSize % PatchSize == 0, nameof(PatchSize), PatchSize, $"must divide ImageSize {ImageSize}");
        Check(Heads >= 1 && VisionWidth % Heads == 0, nameof(VisionWidth), VisionWidth, $"must be a multiple of Heads {Heads}");
        Check(TextWidth % Heads == 0 && TextWidth > 0, nameof(TextWidth), TextWidth, $"must be a multiple of Heads {Heads}");
        Check(VisionLayers >= 1, nameof(VisionLayers), VisionLayers, "must be at least 1");
        Check(TextLayers >= 1, nameof(TextLayers), TextLayers, "must be at least 1");
        Check(ProjectionDim >= 1, nameof(ProjectionDim), ProjectionDim, "must be positive");
        Check(ContextLength >= 8, nameof(ContextLength), ContextLength, "must be at least 8");
        Check(OverlayRate >= 0 && OverlayRate <= 1, nameof(OverlayRate), OverlayRate, "must be in [0, 1]");
        Check(WrongWordRate >= 0 && WrongWordRate <= 1, nameof(WrongWordRate), WrongWordRate, "must be in [0, 1]");
        Check(ShapeFamilyShare >= 0 && ShapeFamilyShare <= 1, nameof(ShapeFamilyShare), ShapeFamilyShare, "must be in [0, 1]");
        Check(ShapeFamilySize >= 2 && ShapeFamilySize <= AttributeWords.Shapes.Length, nameof(ShapeFamilySize), ShapeFamilySize, $"must be in [2, {AttributeWords.Shapes.Length}]");
        Check(WordFamilyShare >= 0 && ShapeFamilyShare + WordFamilyShare <= 1, nameof(WordFamilyShare), WordFamilyShare, $"must be in [0, 1 - ShapeFamilyShare ({ShapeFamilyShare})]");
        Check(WordFirstShare >= 0 && WordFirstShare < 1, nameof(WordFirstShare), WordFirstShare, "must be in [0, 1)");
        Check(WordFamilySize >= 2 && WordFamilySize <= AttributeWords.Shapes.Length, nameof(WordFamilySize), WordFamilySize, $"must be in [2, {AttributeWords.Shapes.Length}]");
        Check(ShapeFirstFraction >= 0 && ShapeFirstFraction < 1, nameof(ShapeFirstFraction), ShapeFirstFraction, "must be in [0, 1)");
        Check(EvalImages >= 16, nameof(EvalImages), EvalImages, "must be at least 16");
        Check(Threads >= 1, nameof(Threads), Threads, "must be at least 1");
        World.Validate();
        return this;
    }

    /// <summary>The training world: 1-2 objects, some with a written word.</summary>
    public ShapesWorldConfig World => new() { ImageSize = ImageSize, OverlayRate = OverlayRate, AttackRate = WrongWordRate };

    public ClipConfig ModelConfig(int vocabSize, int eosTokenId, int bosTokenId) => new()
    {
        ProjectionDim = ProjectionDim,
        LogitScaleInit = LogitScaleInit,
        Vision = new ClipVisionConfig
        {
            ImageSize = ImageSize, PatchSize = PatchSize,
            Tower = new ClipTowerConfig { HiddenSize = VisionWidth, IntermediateSize = 4 * VisionWidth, NumLayers = VisionLayers, NumHeads = Heads },
        },
        Text = new ClipTextConfig
        {
            VocabSize = vocabSize, MaxPositions = ContextLength, EosTokenId = eosTokenId, BosTokenId = bosTokenId, PadTokenId = eosTokenId,
            Tower = new ClipTowerConfig { HiddenSize = TextWidth, IntermediateSize = 4 * TextWidth, NumLayers = TextLayers, NumHeads = Heads },
        },
    };
}
