
namespace MMInterp.Kernels.Models.Diffusion;

/// <summary>Everything that determines a tiny text-to-image zoo model (besides the frozen text encoder, which the
/// caller supplies and the cache key includes). Same config + same code + same encoder = same weights.</summary>
public sealed record DiffusionZooConfig
{
    public long Seed { get; init; } = 0;
    /// <summary>Held-out ShapesWorld split for prompts and metrics; must differ from Seed.</summary>
    public long EvalSeed { get; init; } = 2_000_003;
    public int Steps { get; init; } = 2000;
    public int BatchSize { get; init; } = 32;
    public double LearningRate { get; init; } = 2e-3;
    public double WeightDecay { get; init; } = 0.01;
    public double WarmupFraction { get; init; } = 0.03;
    public int ImageSize { get; init; } = 32;
    public int PatchSize { get; init; } = 4;
    public int Width { get; init; } = 64;
    public int Layers { get; init; } = 4;
    public int Heads { get; init; } = 4;
    public int ContextLength { get; init; } = 16;
    /// <summary>Share of training captions replaced by the empty caption, so the model also learns the unconditional
    /// velocity that classifier-free guidance needs.</summary>
    public double CaptionDropout { get; init; } = 0.1;
    public int SampleSteps { get; init; } = 20;
    public double Guidance { get; init; } = 3.0;
    public int EvalImages { get; init; } = 256;
    /// <summary>Optimiser steps of the attribute classifier that scores generated images.</summary>
    public int ClassifierSteps { get; init; } = 500;
    /// <summary>libtorch threads (one: the shared 2-core machine runs slower per step with two under contention).</summary>
    public int Threads { get; init; } = 1;

    public static DiffusionZooConfig Default { get; } = new();

    public DitConfig ModelConfig(int textWidth) => new DitConfig
    {
        ImageSize = ImageSize, PatchSize = PatchSize, Width = Width, Layers = Layers, Heads = Heads, TextWidth = textWidth,
    }.Validate();

    public SamplerOptions Sampler(long seed) => new SamplerOptions { Steps = SampleSteps, Guidance = Guidance, Seed = seed }.Validate();

    /// <summary>Throws an ArgumentException naming the first bad field.</summary>
    public DiffusionZooConfig Validate()
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
        Check(ImageSize is >= 16 and <= 4096 && ImageSize % 8 == 0, nameof(ImageSize), ImageSize, "must be a multiple of 8 in [16, 4096]");
        Check(PatchSize >= 1 && ImageSize % PatchSize == 0, nameof(PatchSize), PatchSize, $"must divide ImageSize {ImageSize}");
        Check(Heads >= 1 && Width % Heads == 0 && Width <= 1 << 16, nameof(Width), Width, $"must be a positive multiple of Heads {Heads}, at most {1 << 16}");
        Check(Layers is >= 1 and <= 1024, nameof(Layers), Layers, "must be in [1, 1024]");
        Check(ContextLength is >= 4 and <= 1 << 16, nameof(ContextLength), ContextLength, $"must be in [4, {1 << 16}]");
        Check(CaptionDropout >= 0 && CaptionDropout < 1, nameof(CaptionDropout), CaptionDropout, "must be in [0, 1)");
        Check(SampleSteps >= 1 && SampleSteps <= 1000, nameof(SampleSteps), SampleSteps, "must be in [1, 1000]");
        Check(Guidance >= 0 && Guidance <= 20, nameof(Guidance), Guidance, "must be in [0, 20]");
        Check(EvalImages >= 8, nameof(EvalImages), EvalImages, "must be at least 8");
        Check(ClassifierSteps >= 1, nameof(ClassifierSteps), ClassifierSteps, "must be at least 1");
        Check(Threads >= 1, nameof(Threads), Threads, "must be at least 1");
        return this;
    }

    /// <summary>A lower bound of the denoiser's parameters (attention and MLP of every block), for the memory check a
    /// load makes before it allocates.</summary>
    public double DenoiserParameterFloor => 12.0 * Width * Width * Layers;
}
