using MMInterp.Kernels.Models.Clip;
using MMInterp.Kernels.Models.Diffusion;
using MMInterp.Kernels.Zoo;
using Xunit;

namespace MMInterp.Kernels.Tests.Diffusion;

/// <summary>One tiny text-to-image model (32x32 images, 2 blocks of width 32) trained once for the diffusion tests.
/// Its text encoder is an untrained tiny CLIP text tower: its token states still name the words, which is all the
/// denoiser needs, and the tests then do not depend on how well CLIP itself learned.</summary>
public sealed class TinyDiffusionFixture : IDisposable
{
    public static readonly DiffusionZooConfig Config = DiffusionZooConfig.Default with
    {
        Steps = 400, BatchSize = 32, LearningRate = 3e-3, ImageSize = 32, PatchSize = 4, Width = 32, Layers = 2, Heads = 2,
        ContextLength = 14, SampleSteps = 8, Guidance = 2.0, EvalImages = 48, ClassifierSteps = 250,
    };

    public TinyDiffusionFixture()
    {
        Directory = Path.Combine(Path.GetTempPath(), $"mminterp-diffusion-{Guid.NewGuid():N}");
        var tokenizer = ShapesVocabulary.Build();
        TorchSharp.torch.manual_seed(3);
        var clip = new ClipModel(ClipZooConfig.Default.ModelConfig(tokenizer.VocabSize, tokenizer.EndId, tokenizer.StartId));
        (Result, Bundle) = new DiffusionZooTrainer(Config).Build(clip, tokenizer, Directory);
    }

    public string Directory { get; }
    public DiffusionZooResult Result { get; }
    public DiffusionBundle Bundle { get; }

    public void Dispose()
    {
        Bundle.Dispose();
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }
}

[CollectionDefinition(Name)]
public sealed class TinyDiffusionCollection : ICollectionFixture<TinyDiffusionFixture>
{
    public const string Name = "tiny diffusion";
}
