using System.Diagnostics;
using MMInterp.Kernels.Activations;
using MMInterp.Kernels.Extraction;
using MMInterp.Kernels.Models.Clip;
using MMInterp.Kernels.Sae;
using MMInterp.Kernels.Sae.Training;
using MMInterp.Kernels.ShapesWorld;
using MMInterp.Kernels.Text;
using MMInterp.Kernels.Zoo;

namespace MMInterp.Kernels.Tests.Interp.Steering;

/// <summary>A small zoo CLIP trained with some words on its images and a TopK SAE trained on its block-1 residual,
/// shared by the steering and typographic tests (fixed seeds; trained once per test run).</summary>
public sealed class SteeringFixture : IDisposable
{
    public const string Hook = "vision.blocks.1.hook_resid_post";

    public static readonly ClipZooConfig Config = new()
    {
        Seed = 17, EvalSeed = 18, Steps = 160, BatchSize = 32, LearningRate = 4e-3,
        VisionWidth = 32, TextWidth = 32, ProjectionDim = 32, VisionLayers = 2, TextLayers = 1, Heads = 2,
        EvalImages = 128, OverlayRate = 0.3,
        // The short recipe these tests were calibrated on (the zoo default adds a shape-first phase, words the captions
        // name and word families): true words only, never named.
        ShapeFirstFraction = 0, ShapeFamilySize = 2, WrongWordRate = 0, MentionWords = false,
    };

    public SteeringFixture()
    {
        var clock = Stopwatch.StartNew();
        (Model, Tokenizer, _, _) = new ClipZooTrainer(Config).Train();
        Model.eval();
        ClipSeconds = clock.Elapsed.TotalSeconds;
        var world = new ShapesWorldGenerator(Config.World);
        var rows = ClipActivationExtractor.Extract(Model, world, seed: 21, start: 0, count: 384, [Hook])[Hook];
        var dir = Directory.CreateTempSubdirectory("mminterp-steer-").FullName;
        try
        {
            using var source = new InMemoryActivationSource(rows, seed: 5);
            rows.Dispose();
            var member = new SweepMember("topk", new SaeConfig { Kind = SaeKind.TopK, DIn = Config.VisionWidth, DSae = 128, K = 8, Seed = 3, UnitNormDecoder = true },
                new SaeTrainingConfig { Lr = 3e-3, LrWarmupSteps = 20, DeadFeatures = DeadFeatureStrategy.AuxK, DeadAfterRows = 20_000 });
            var run = SaeTrainer.Run(new SweepConfig { Members = [member], BatchSize = 512, TotalSteps = 300, LogEvery = 300, CheckpointEvery = 0, HistogramEachLog = false }, source, dir).Single();
            Sae = SaeCheckpoint.LoadSae(run.WeightsPath!);
            Fvu = run.Final?.Fvu ?? double.NaN;
        }
        finally { Directory.Delete(dir, recursive: true); }
        TotalSeconds = clock.Elapsed.TotalSeconds;
    }

    public ClipModel Model { get; }
    public ClipBpeTokenizer Tokenizer { get; }
    public SparseAutoencoder Sae { get; }
    public double Fvu { get; }
    public double ClipSeconds { get; }
    public double TotalSeconds { get; }

    public void Dispose()
    {
        Sae.Dispose();
        Model.Dispose();
    }
}

[Xunit.CollectionDefinition(Name)]
public sealed class SteeringCollection : Xunit.ICollectionFixture<SteeringFixture>
{
    public const string Name = "steering CLIP and SAE";
}
