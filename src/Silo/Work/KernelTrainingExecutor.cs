using System.Globalization;
using System.Text.Json;
using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Grains.Placement;
using MMInterp.Grains.Registry;
using MMInterp.Grains.TrainingRuns;
using MMInterp.Kernels.Activations;
using MMInterp.Kernels.Artefacts;
using MMInterp.Kernels.Sae;
using MMInterp.Kernels.Sae.Metrics;
using MMInterp.Kernels.Sae.Training;
using MMInterp.Kernels.Tensors;

namespace MMInterp.Silo.Work;

/// <summary>
/// SAE training on this silo. Reads the registered activation set from the artefact store, trains with the kernels'
/// trainer in a fresh work directory, copies every periodic checkpoint into the artefact store before reporting it
/// (so another silo can resume from it), streams metrics to the registry and, at the end, stores the weights and the
/// density histogram and registers the dictionary under the run's id.
/// </summary>
public sealed class KernelTrainingExecutor(ArtefactCache artefacts, RegistryStore registry, WorkOptions options) : ITrainingExecutor
{
    const string Member = "sae";

    public async Task<RunCheckpoint> TrainAsync(string runId, TrainingRunSpec spec, RunCheckpoint? resumeFrom,
        Func<RunCheckpoint, Task> onCheckpoint, DeviceSlot slot, CancellationToken ct)
    {
        var sae = SaeConfig.FromJson(spec.SaeConfigJson);
        var training = SaeTrainingConfig.FromJson(spec.TrainingConfigJson);
        var set = await registry.ActivationSets.GetAsync(spec.ActivationSetId, ct)
                  ?? throw new ArgumentException($"activation set '{spec.ActivationSetId}' is not registered");
        if (!set.HookPoints.Contains(spec.Hook))
            throw new ArgumentException($"activation set '{set.Id}' has no hook '{spec.Hook}'; it has {string.Join(", ", set.HookPoints)}");
        var setDir = Path.Combine(await artefacts.DirectoryAsync(set.IndexSha256, ct), KernelShardExtractor.Sanitize(spec.Hook));

        var workDir = Path.Combine(options.CacheRoot, "runs", $"{runId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path.Combine(workDir, Member));
        try
        {
            if (resumeFrom is not null)
            {
                // Metrics logged after the checkpoint will be logged again; drop them so no point is doubled.
                await registry.Metrics.DeleteAfterStepAsync(runId, resumeFrom.Step, ct);
                await using var source = await artefacts.Store.OpenReadAsync(resumeFrom.Artefact, ct);
                await using var target = File.Create(Path.Combine(workDir, Member, "checkpoint.safetensors"));
                await source.CopyToAsync(target, ct);
            }

            var sweep = new SweepConfig
            {
                Members = [new SweepMember(Member, sae, training)],
                BatchSize = spec.BatchSize,
                TotalSteps = spec.Steps,
                Seed = spec.Seed,
                LogEvery = spec.LogEvery,
                CheckpointEvery = spec.CheckpointEvery,
            };
            using var reader = new ShufflingActivationReader(new ActivationSetReader(setDir), bufferShards: 2, seed: spec.Seed);
            var hooks = new TrainerHooks
            {
                Resume = resumeFrom is not null,
                // The trainer is synchronous on this (thread-pool) thread; its callbacks wait for their I/O.
                Progress = p => registry.Metrics.AppendAsync(Points(runId, p.Step, p.Metrics), ct).GetAwaiter().GetResult(),
                Checkpointed = (_, step, path) =>
                {
                    var stored = artefacts.Store.PutFileAsync(path, ArtefactKind.Safetensors, ct).GetAwaiter().GetResult();
                    registry.Artefacts.RecordAsync(stored, ct).GetAwaiter().GetResult();
                    // The report is a call into the run's grain; if that activation is deactivating it waits for this
                    // executor to stop, so the wait must end when the run is cancelled rather than deadlock.
                    onCheckpoint(new RunCheckpoint(step, stored.Sha256, new Dictionary<string, double>())).WaitAsync(ct).GetAwaiter().GetResult();
                },
            };
            var result = SaeTrainer.Run(sweep, reader, workDir, hooks, ct, TorchRuntime.ParseDevice(slot.Device)).Single();
            if (!result.Completed) throw new OperationCanceledException($"training run {runId} stopped at step {result.Step}");

            var weights = await artefacts.Store.PutFileAsync(result.WeightsPath!, ArtefactKind.Safetensors, ct);
            await registry.Artefacts.RecordAsync(weights, ct);
            var metrics = Summary(result.Final!);
            if (result.HistogramPath is { } png)
            {
                var picture = await artefacts.Store.PutFileAsync(png, ArtefactKind.Png, ct);
                await registry.Artefacts.RecordAsync(picture, ct);
            }
            if (await registry.Dictionaries.GetAsync(runId, ct) is null)
                await registry.Dictionaries.RegisterAsync(new NewDictionary(set.ModelId, spec.Hook, Architecture(sae.Kind), sae.DIn, sae.DSae,
                    weights.Sha256, sae.ToJson(), JsonSerializer.Serialize(metrics), set.Id, runId, Id: runId), ct);
            return new RunCheckpoint(spec.Steps, weights.Sha256, metrics);
        }
        finally
        {
            try { Directory.Delete(workDir, recursive: true); } catch (IOException) { }
        }
    }

    static Dictionary<string, double> Summary(SaeMetrics m) => new()
    {
        ["l0"] = m.L0, ["fvu"] = m.Fvu, ["mse"] = m.Mse, ["loss"] = m.Loss,
        ["dead_fraction"] = m.DeadFraction, ["dense_fraction"] = m.DenseFraction,
    };

    static List<MetricPoint> Points(string runId, long step, SaeMetrics m) =>
        Summary(m).Select(kv => new MetricPoint(runId, kv.Key, step, kv.Value)).Where(p => double.IsFinite(p.Value)).ToList();

    static SaeArchitecture Architecture(SaeKind kind) => kind switch
    {
        SaeKind.Relu => SaeArchitecture.Relu,
        SaeKind.TopK => SaeArchitecture.TopK,
        SaeKind.BatchTopK => SaeArchitecture.BatchTopK,
        SaeKind.JumpRelu => SaeArchitecture.JumpRelu,
        _ => throw new ArgumentException($"unknown SAE kind {kind}"),
    };
}
