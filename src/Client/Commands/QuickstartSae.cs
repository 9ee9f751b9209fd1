using System.Globalization;
using MMInterp.Client.Platform;
using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Kernels.Sae;
using MMInterp.Kernels.Sae.Training;

namespace MMInterp.Client.Commands;

/// <summary>The SAE both quickstarts train: ReLU + L1 on normalised inputs, as a TrainingRun through the cluster,
/// followed with a progress bar; prints and returns its last checkpoint's metrics.</summary>
static class QuickstartSae
{
    public sealed record Trained(string RunId, SaeConfig Sae, int Steps, IReadOnlyDictionary<string, double> Metrics);

    /// <param name="batchSize">rows per step; at most the set's rows per hook (a class-token or pooled set has one row per image)</param>
    public static async Task<Trained> TrainAsync(IGrainFactory cluster, string activationSet, string hook, int dIn, int widthMultiplier,
        int steps, CancellationToken ct, long seed = 0, int batchSize = 512)
    {
        // The seed draws the initial weights (SaeConfig.Seed) and orders the rows (the run's seed).
        var sae = new SaeConfig { Kind = SaeKind.Relu, DIn = dIn, DSae = widthMultiplier * dIn, NormalizeInput = true, Seed = seed };
        var runId = CliIds.New("sae");
        var run = cluster.GetGrain<ITrainingRunGrain>(runId);
        await run.Start(new TrainingRunSpec(activationSet, hook, sae.ToJson(),
            new SaeTrainingConfig { Lr = 3e-3, LrWarmupSteps = steps / 10, SparsityCoefficient = 1 }.ToJson(),
            steps, CheckpointEvery: Math.Max(1, steps / 5), Seed: seed, BatchSize: batchSize, LogEvery: Math.Max(1, steps / 15)));
        // The run's status carries every step's loss, FVU and L0, so the bar moves between checkpoints.
        await JobWatcher.FollowAsync("train-sae", run.Status, ct);
        var m = (await run.LastCheckpoint())!.Metrics;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"SAE {runId}: L0 {m["l0"]:F1}, FVU {m["fvu"]:F3}, dead {m["dead_fraction"]:P1}"));
        return new Trained(runId, sae, steps, m);
    }
}
