using MMInterp.Kernels.Models.Clip;
using MMInterp.Kernels.Models.Vlm;
using MMInterp.Kernels.ShapesWorld;

namespace MMInterp.Kernels.Zoo;

/// <summary>Everything that determines a tiny-VLM zoo model (same config + same code = same weights, so the store keys
/// the result by a hash of this record). The vision tower's shape comes from <see cref="Clip"/>; with
/// <see cref="InitFromClip"/> it starts from that zoo CLIP's weights. By default the tower stays FROZEN (as in LLaVA) and
/// only the adapter and LM learn the question-answering loss: fine-tuning the tower jointly from a random LM made shape
/// answers worse the larger its step (measured: tower lr 3e-3 shape 0.20, 5e-4 0.25, 1e-4 0.45, frozen 0.48 at 300 steps).
/// vlm-zoo/3 (bench/RESULTS.md): the LM sees the image tokens bidirectionally with grid positions, and an auxiliary
/// per-patch shape/colour loss teaches it to gather each object's shape into its patches (the frozen tower's patches
/// carry colour but not shape): shape 1.00, but colour stayed a coin flip between the two objects of two-object scenes.
/// vlm-zoo/4 drops the "?" token, so the answer is predicted at the question's last word ("circle" in "what colour is
/// the circle?"), with 4 LM blocks and more steps: with "?" the answer position never learned to copy the shape word
/// from the token before it (a linear probe reads the asked shape from it at 0.41), so its attention could not pick the
/// object. vlm-zoo/5 is vlm-zoo/4 with the auxiliary read-outs drawn right after the model under one seeded, locked
/// build (before, their initial weights depended on whether the CLIP was loaded or trained first).</summary>
public sealed record VlmZooConfig
{
    /// <summary>Recipe version: part of the config hash, so a model trained by an older recipe is not reused.</summary>
    public string Recipe { get; init; } = "vlm-zoo/5";
    /// <summary>"llava" (vlm-zoo/6, <see cref="Llava"/>): the model is HF's LLaVA architecture (<see cref="ZooLlava"/>: the
    /// zoo CLIP tower, LLaVA's GELU projector, a Llama decoder of LmWidth/LmLayers/LmHeads, causal throughout), saved in
    /// HF's layout, so the analyses run on the code path downloaded checkpoints take. Null: the zoo's own decoder.
    /// Not written when null, so the ids of configs from before the option stay the same.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? Architecture { get; init; }
    public bool IsLlava => Architecture == LlavaArchitecture;
    public const string LlavaArchitecture = "llava";

    /// <summary>vlm-zoo/6, kept so its ids and RESULTS rows stay reproducible: vlm-zoo/7 without the fill read-out.</summary>
    public static VlmZooConfig LlavaV6 { get; } = new() { Recipe = "vlm-zoo/6", Architecture = LlavaArchitecture, BidirectionalImage = false, GridImagePositions = false };
    /// <summary>vlm-zoo/7: the default recipe on LLaVA's architecture (the bidirectional image block and grid positions
    /// are the zoo decoder's and do not apply; the auxiliary per-patch loss stays, on the decoder's image positions, and
    /// reads out fill too: LLaVA's causal decoder left fill at chance on 2 of 3 seeds of vlm-zoo/6, bench/RESULTS.md).</summary>
    public static VlmZooConfig Llava { get; } = LlavaV6 with { Recipe = "vlm-zoo/7", PatchFill = true };
    public long Seed { get; init; } = 0;
    /// <summary>Held-out ShapesWorld split for the metrics; must differ from Seed.</summary>
    public long EvalSeed { get; init; } = 1_000_003;
    /// <summary>2000 x 64 questions (bench/RESULTS.md, VLM section: finding the named object is learned late; on training
    /// seed 1, colour 0.83 at 1000 steps, 0.88 at 1500, 0.95 at 2000).</summary>
    public int Steps { get; init; } = 2000;
    public int BatchSize { get; init; } = 64;
    public double LearningRate { get; init; } = 2e-3;
    public double WeightDecay { get; init; } = 0.01;
    public double WarmupFraction { get; init; } = 0.03;
    /// <summary>The vision tower's learning rate as a share of LearningRate; 0 (the default) freezes it. A random LM's
    /// early gradients otherwise overwrite the CLIP features the answers need.</summary>
    public double VisionLearningRateScale { get; init; } = 0.0;
    /// <summary>The zoo CLIP whose vision tower the VLM uses (its shape, and its weights with InitFromClip).</summary>
    public ClipZooConfig Clip { get; init; } = ClipZooConfig.Default;
    public bool InitFromClip { get; init; } = true;
    /// <summary>Last CLIP vision layers left out: the VLM reads the patch states of layer VisionLayers-1-Drop. LLaVA reads
    /// the penultimate layer; on this 3-layer tower the last layer's patches, after one more round of attention, gave the
    /// LM lower loss at every step (frozen tower, same lr), so nothing is dropped.</summary>
    public int DropVisionLayers { get; init; } = 0;
    /// <summary>"linear" or "mlp".</summary>
    public string Adapter { get; init; } = "mlp";
    public int LmWidth { get; init; } = 64;
    public int LmLayers { get; init; } = 4;
    public int LmHeads { get; init; } = 4;
    /// <summary>Image tokens attend to each other both ways in the LM (see <see cref="VlmConfig.BidirectionalImage"/>).</summary>
    public bool BidirectionalImage { get; init; } = true;
    /// <summary>Image tokens' LM positions start as a unit-scale 2-D grid (see <see cref="VlmConfig.GridImagePositions"/>).</summary>
    public bool GridImagePositions { get; init; } = true;
    /// <summary>Weight of an auxiliary loss (0 turns it off): linear read-outs of the shape and colour of the object under each
    /// image token, from the output of LM block <see cref="PatchAttributeLayer"/> (ground truth from the scene masks;
    /// the read-outs are not saved with the model).</summary>
    public double PatchAttributeWeight { get; init; } = 1.0;
    public int PatchAttributeLayer { get; init; } = 1;
    /// <summary>The auxiliary read-outs include the object's fill (LLaVA recipe only). Not written when off, so older ids stay.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault)]
    public bool PatchFill { get; init; }
    /// <summary>Questions end with a "?" token where the answer is predicted; off (vlm-zoo/4), the answer is predicted at
    /// the last word, which is the object's name in "what colour is the circle?" (see the record's summary). The
    /// vocabulary then has no "?" and every path that encodes a question drops it.</summary>
    public bool QuestionMark { get; init; } = false;
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
        Check(!string.IsNullOrWhiteSpace(Recipe), nameof(Recipe), Recipe ?? "null", "must name the recipe version");
        Check(Architecture is null or LlavaArchitecture, nameof(Architecture), Architecture ?? "null", $"must be null (the zoo decoder) or '{LlavaArchitecture}'");
        Check(!PatchFill || IsLlava, nameof(PatchFill), PatchFill, "is an option of the LLaVA recipe only");
        Check(!IsLlava || (!BidirectionalImage && !GridImagePositions && Adapter == "mlp"), nameof(Architecture), Architecture ?? "null",
            "(LLaVA) needs BidirectionalImage and GridImagePositions off and the mlp adapter");
        Check(EvalSeed != Seed, nameof(EvalSeed), EvalSeed, "must differ from Seed (held-out split)");
        Check(Steps >= 1, nameof(Steps), Steps, "must be at least 1");
        Check(BatchSize >= 1, nameof(BatchSize), BatchSize, "must be at least 1");
        Check(LearningRate > 0 && LearningRate < 1, nameof(LearningRate), LearningRate, "must be in (0, 1)");
        Check(WeightDecay >= 0, nameof(WeightDecay), WeightDecay, "must be non-negative");
        Check(VisionLearningRateScale >= 0 && VisionLearningRateScale <= 1, nameof(VisionLearningRateScale), VisionLearningRateScale, "must be in [0, 1]");
        Check(InitFromClip || VisionLearningRateScale > 0, nameof(VisionLearningRateScale), VisionLearningRateScale,
            "must be positive when InitFromClip is off (a random tower cannot stay frozen)");
        Check(WarmupFraction >= 0 && WarmupFraction < 1, nameof(WarmupFraction), WarmupFraction, "must be in [0, 1)");
        Check(Adapter is "linear" or "mlp", nameof(Adapter), Adapter, "must be 'linear' or 'mlp'");
        Check(LmHeads >= 1 && LmWidth > 0 && LmWidth % LmHeads == 0, nameof(LmWidth), LmWidth, $"must be a positive multiple of LmHeads {LmHeads}");
        Check(Clip is not null && DropVisionLayers >= 0 && DropVisionLayers < Clip.VisionLayers, nameof(DropVisionLayers), DropVisionLayers,
            "must be in [0, Clip.VisionLayers)");
        Check(LmLayers >= 1, nameof(LmLayers), LmLayers, "must be at least 1");
        Check(PatchAttributeWeight >= 0, nameof(PatchAttributeWeight), PatchAttributeWeight, "must be non-negative");
        Check(PatchAttributeLayer >= 0 && PatchAttributeLayer < LmLayers, nameof(PatchAttributeLayer), PatchAttributeLayer, "must be in [0, LmLayers)");
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
        BidirectionalImage = BidirectionalImage,
        GridImagePositions = GridImagePositions,
    };
}
