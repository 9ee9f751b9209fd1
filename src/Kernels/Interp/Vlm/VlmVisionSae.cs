using MMInterp.Kernels.Activations;
using MMInterp.Kernels.Models.Vlm;
using MMInterp.Kernels.Sae;
using MMInterp.Kernels.Sae.Training;
using MMInterp.Kernels.ShapesWorld;

namespace MMInterp.Kernels.Interp.Vlm;

/// <summary>How to train a TopK SAE on a VLM's own vision-tower hook (every token of ShapesWorld images).</summary>
public sealed record VlmVisionSaeOptions
{
    public int DSae { get; init; } = 256;
    public int K { get; init; } = 8;
    public int Steps { get; init; } = 600;
    public int BatchSize { get; init; } = 512;
    public double Lr { get; init; } = 3e-3;
    /// <summary>Training images (all their tokens are rows) from this seed.</summary>
    public int Images { get; init; } = 768;
    public long DataSeed { get; init; } = 21;
    public long Seed { get; init; } = 3;

    /// <summary>Throws an ArgumentException naming the first bad field.</summary>
    public VlmVisionSaeOptions Validate()
    {
        if (DSae < 2) throw new ArgumentException($"DSae must be at least 2, got {DSae}", nameof(DSae));
        if (K < 1 || K > DSae) throw new ArgumentException($"K must be in [1, DSae={DSae}], got {K}", nameof(K));
        if (Steps < 1) throw new ArgumentException($"Steps must be at least 1, got {Steps}", nameof(Steps));
        if (BatchSize < 1) throw new ArgumentException($"BatchSize must be at least 1, got {BatchSize}", nameof(BatchSize));
        if (!(Lr > 0 && Lr < 1)) throw new ArgumentException($"Lr must be in (0, 1), got {Lr}", nameof(Lr));
        if (Images < 2) throw new ArgumentException($"Images must be at least 2, got {Images}", nameof(Images));
        return this;
    }
}

/// <summary>Trains the SAE that <see cref="VlmSteering"/> steers with, on the VLM's own tower (its fine-tuned weights
/// differ from the zoo CLIP's, so a CLIP SAE would read the wrong basis).</summary>
public static class VlmVisionSae
{
    /// <summary>Returns the trained SAE (caller owns it) and its final fraction of variance unexplained.</summary>
    public static (SparseAutoencoder Sae, double Fvu) Train(IShapesVlm model, string hook, VlmVisionSaeOptions options, CancellationToken cancel = default)
    {
        options.Validate();
        VlmVisionActivations.CheckHook(model, hook);
        var world = new ShapesWorldGenerator(new ShapesWorldConfig { ImageSize = model.ImageSize });
        var wasTraining = model.Training;
        model.SetTraining(false);
        var dir = Directory.CreateTempSubdirectory("mminterp-vlm-sae-").FullName;
        try
        {
            using var source = UseRows(VlmVisionActivations.Rows(model, hook, world, options.DataSeed, options.Images), options.Seed);
            var member = new SweepMember("topk", new SaeConfig { Kind = SaeKind.TopK, DIn = source.D, DSae = options.DSae, K = options.K, Seed = options.Seed, UnitNormDecoder = true },
                new SaeTrainingConfig { Lr = options.Lr, LrWarmupSteps = Math.Min(20, options.Steps / 10), DeadFeatures = DeadFeatureStrategy.AuxK, DeadAfterRows = 20_000 });
            var sweep = new SweepConfig { Members = [member], BatchSize = options.BatchSize, TotalSteps = options.Steps, LogEvery = options.Steps, CheckpointEvery = 0, HistogramEachLog = false };
            // Trained and returned on the model's device, where the steering reads it.
            var run = SaeTrainer.Run(sweep, source, dir, new TrainerHooks { Resume = false }, cancel, model.Device).Single();
            if (run.WeightsPath is null) throw new OperationCanceledException("SAE training was cancelled");
            return (SaeCheckpoint.LoadSae(run.WeightsPath, model.Device), run.Final?.Fvu ?? double.NaN);
        }
        finally
        {
            model.SetTraining(wasTraining);
            Directory.Delete(dir, recursive: true);
        }
    }

    static InMemoryActivationSource UseRows(TorchSharp.torch.Tensor rows, long seed)
    {
        using (rows) return new InMemoryActivationSource(rows, seed);
    }
}
