using MMInterp.Kernels.Models.StableDiffusion;

namespace MMInterp.Kernels.Models.ZooUNet;

/// <summary>Everything that determines the zoo's text-to-image U-Net (besides the frozen text encoder the caller
/// supplies): a diffusers UNet2DConditionModel in pixel space, trained with DDPM's noise-prediction loss on single-object
/// ShapesWorld captions and sampled with DDIM and classifier-free guidance. Same config + code + encoder = same weights.</summary>
public sealed record UNetZooConfig
{
    public long Seed { get; init; } = 0;
    /// <summary>Held-out ShapesWorld split for prompts and metrics; must differ from Seed.</summary>
    public long EvalSeed { get; init; } = 2_000_003;
    public int Steps { get; init; } = 2500;
    public int BatchSize { get; init; } = 32;
    public double LearningRate { get; init; } = 1e-3;
    public double WeightDecay { get; init; } = 0.01;
    public double WarmupFraction { get; init; } = 0.03;
    /// <summary>16x16: the issue allows 16 or 32, and on the 2-core machine a 32x32 U-Net step costs ~4x as much.</summary>
    public int ImageSize { get; init; } = 16;
    /// <summary>Channels of the first level; deeper levels have twice as many (block_out_channels [W, 2W, 2W, ...]).</summary>
    public int Width { get; init; } = 32;
    /// <summary>Resolution levels; attention (self and cross) at every level but the first.</summary>
    public int Levels { get; init; } = 2;
    /// <summary>Attention head width (diffusers' heads = channels / this).</summary>
    public int HeadWidth { get; init; } = 16;
    public int LayersPerBlock { get; init; } = 1;
    public int NormGroups { get; init; } = 8;
    public int ContextLength { get; init; } = 16;
    /// <summary>diffusers' clip_skip: which text-tower layer the U-Net reads (<see cref="TextConditioner"/>); 2 skips both of
    /// the zoo CLIP's text layers, leaving its normed token embeddings. Its last layer barely tells position words apart
    /// (token states for "upper left" and "lower right" differ by 1.6 on a norm of 8, colour words by 8.9): read there,
    /// position stayed at chance (0.15-0.22); read here, 0.95 on the development split (bench/RESULTS.md).</summary>
    public int ClipSkip { get; init; } = 2;
    /// <summary>Column and row channels after the image (<see cref="CoordinateChannels"/>). Off: with the embedding
    /// conditioning the U-Net places objects from the padding alone (development split: position 0.945 without, 0.957
    /// with; colour 0.863 against 0.770).</summary>
    public bool CoordinateInput { get; init; } = false;
    /// <summary>Share of training captions replaced by the empty caption (the unconditional prediction guidance needs).</summary>
    public double CaptionDropout { get; init; } = 0.1;
    public int SampleSteps { get; init; } = 25;
    /// <summary>1.5, chosen on the development split (seed 0; colour 0.922, 0.934, 0.863, 0.418 at guidance 1, 1.5, 2, 3):
    /// 3 leaves noise in flat backgrounds and, with the embedding conditioning, breaks shapes.</summary>
    public double Guidance { get; init; } = 1.5;
    public int EvalImages { get; init; } = 256;
    /// <summary>Optimiser steps of the attribute classifier that scores generated images (1500: shape 0.97 on real
    /// held-out 16x16 images; 500 left it at 0.88).</summary>
    public int ClassifierSteps { get; init; } = 1500;
    public int Threads { get; init; } = 1;

    public static UNetZooConfig Default { get; } = new();

    /// <summary>block_out_channels.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public int[] Channels => Enumerable.Range(0, Levels).Select(i => i == 0 ? Width : 2 * Width).ToArray();

    /// <summary>The U-Net's diffusers config (unet/config.json).</summary>
    public UNetConfig UNet(int textWidth)
    {
        var levels = Levels;
        var channels = Channels;
        return new UNetConfig
        {
            InChannels = 3 + (CoordinateInput ? CoordinateChannels.Count : 0), OutChannels = 3, BlockOutChannels = channels, LayersPerBlock = LayersPerBlock,
            DownBlockTypes = Enumerable.Range(0, levels).Select(i => i == 0 ? UNetConfig.Down : UNetConfig.CrossAttnDown).ToArray(),
            UpBlockTypes = Enumerable.Range(0, levels).Select(i => i == levels - 1 ? UNetConfig.Up : UNetConfig.CrossAttnUp).ToArray(),
            HeadCounts = channels.Select(c => c / HeadWidth).ToArray(),
            TransformerLayersPerBlock = channels.Select(_ => 1).ToArray(),
            CrossAttentionDim = textWidth, NormNumGroups = NormGroups, SampleSize = ImageSize,
        }.Validate();
    }

    /// <summary>The training and sampling noise schedule (DDPM's linear betas over 1000 steps, as for 32x32 pixels),
    /// sampled with DDIM ('trailing' spacing so the first step starts from pure noise, no clipping of the estimate).</summary>
    public static SchedulerConfig Scheduler { get; } = new SchedulerConfig
    {
        ClassName = SchedulerConfig.Ddim, BetaSchedule = "linear", BetaStart = 1e-4, BetaEnd = 0.02, TimestepSpacing = "trailing",
        SetAlphaToOne = true, ClipSample = true, ClipSampleRange = 1.0,
    }.Validate();

    /// <summary>Throws an ArgumentException naming the first bad field.</summary>
    public UNetZooConfig Validate()
    {
        static void Check(bool ok, string field, object value, string rule)
        {
            if (!ok) throw new ArgumentException($"{field} {rule}, got {value}", field);
        }
        Check(EvalSeed != Seed, nameof(EvalSeed), EvalSeed, "must differ from Seed (held-out split)");
        Check(Steps >= 1, nameof(Steps), Steps, "must be at least 1");
        Check(BatchSize >= 1, nameof(BatchSize), BatchSize, "must be at least 1");
        Check(LearningRate > 0 && LearningRate < 1, nameof(LearningRate), LearningRate, "must be in (0, 1)");
        Check(WeightDecay >= 0 && double.IsFinite(WeightDecay), nameof(WeightDecay), WeightDecay, "must be non-negative and finite");
        Check(WarmupFraction >= 0 && WarmupFraction < 1, nameof(WarmupFraction), WarmupFraction, "must be in [0, 1)");
        Check(Levels is >= 2 and <= 5, nameof(Levels), Levels, "must be in [2, 5]");
        Check(Width is >= 8 and <= 4096, nameof(Width), Width, "must be in [8, 4096]");
        Check(ImageSize is >= 16 and <= 256 && ImageSize % (1 << (Levels - 1)) == 0, nameof(ImageSize), ImageSize, $"must be in [16, 256] and divisible by {1 << (Levels - 1)}");
        Check(HeadWidth >= 1 && Width % HeadWidth == 0, nameof(HeadWidth), HeadWidth, $"must divide Width {Width}");
        Check(NormGroups >= 1 && Width % NormGroups == 0, nameof(NormGroups), NormGroups, $"must divide Width {Width}");
        Check(LayersPerBlock is >= 1 and <= 8, nameof(LayersPerBlock), LayersPerBlock, "must be in [1, 8]");
        Check(ContextLength is >= 4 and <= 1 << 16, nameof(ContextLength), ContextLength, $"must be in [4, {1 << 16}]");
        Check(ClipSkip is >= 0 and <= 64, nameof(ClipSkip), ClipSkip, "must be in [0, 64] (and at most the text tower's layers)");
        Check(CaptionDropout >= 0 && CaptionDropout < 1, nameof(CaptionDropout), CaptionDropout, "must be in [0, 1)");
        Check(SampleSteps is >= 1 and <= 1000, nameof(SampleSteps), SampleSteps, "must be in [1, 1000]");
        Check(Guidance >= 0 && Guidance <= 20, nameof(Guidance), Guidance, "must be in [0, 20]");
        Check(EvalImages >= 8, nameof(EvalImages), EvalImages, "must be at least 8");
        Check(ClassifierSteps >= 1, nameof(ClassifierSteps), ClassifierSteps, "must be at least 1");
        Check(Threads >= 1, nameof(Threads), Threads, "must be at least 1");
        return this;
    }
}
