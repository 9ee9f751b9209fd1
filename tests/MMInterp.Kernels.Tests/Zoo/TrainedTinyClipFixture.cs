using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Zoo;

namespace MMInterp.Kernels.Tests.Zoo;

/// <summary>One small zoo CLIP trained once for the zoo and probe tests (fixed seed; well under a minute on 2 cores).</summary>
public sealed class TrainedTinyClipFixture : IDisposable
{
    public static readonly ClipZooConfig Config = new()
    {
        Seed = 7, EvalSeed = 8, Steps = 160, BatchSize = 32, LearningRate = 4e-3,
        VisionWidth = 32, TextWidth = 32, ProjectionDim = 32, VisionLayers = 2, TextLayers = 1, Heads = 2,
        EvalImages = 128, OverlayRate = 0,
        // The short recipe these tests were calibrated on (the zoo default adds a shape-first phase over 1200 steps).
        ShapeFirstFraction = 0, ShapeFamilySize = 2,
    };

    public TrainedTinyClipFixture()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("mminterp-zoo-").FullName;
        Notes = [];
        Result = new ClipZooTrainer(Config).Build(Directory, (p, note) => Notes.Add((p, note)));
        Loaded = ClipCheckpoint.Load(Directory);
    }

    public string Directory { get; }
    public ClipZooResult Result { get; }
    public LoadedClip Loaded { get; }
    public List<(double Progress, string Note)> Notes { get; }

    public void Dispose()
    {
        Loaded.Model.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}

/// <summary>Zoo and probe tests share one trained model.</summary>
[Xunit.CollectionDefinition(Name)]
public sealed class TrainedTinyClipCollection : Xunit.ICollectionFixture<TrainedTinyClipFixture>
{
    public const string Name = "trained tiny CLIP";
}
