using System.Text.Json;
using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Grains.Lifecycle;
using MMInterp.Grains.Placement;
using MMInterp.Grains.TrainingRuns;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Activations;
using MMInterp.Kernels.Artefacts;
using MMInterp.Kernels.Sae;
using MMInterp.Kernels.Sae.Metrics;
using MMInterp.Kernels.Sae.Training;
using MMInterp.Kernels.Tensors;

namespace MMInterp.Silo.Work;

/// <summary>
/// SAE training on this silo, one or more runs per call over one read of the data. Reads the registered activation
/// set from the artefact store once, trains every member with the kernels' trainer in a fresh work directory (each
/// batch read and shuffled once, then stepped by every member), copies every periodic checkpoint into the artefact
/// store before reporting it under the member's run id (so another silo can resume it), streams each member's metrics
/// to the registry under its run id and, at the end, stores each member's weights and density histogram and registers
/// its dictionary under its run id. Each step's loss, FVU and L0 go to the member's <see cref="PackMember.Stepped"/>
/// (live progress in grain memory), never to storage.
/// </summary>
public sealed class KernelPackTrainingExecutor(ArtefactCache artefacts, RegistryStore registry, WorkOptions options) : IPackTrainingExecutor
{
    public Task<IReadOnlyDictionary<string, PackOutcome>> TrainAsync(IReadOnlyList<PackMember> members,
        Func<string, RunCheckpoint, Task> onCheckpoint, DeviceSlot slot, CancellationToken ct) =>
        TrainAsync(members, onCheckpoint, slot, isolate: true, ct);

    /// <param name="isolate">A member that diverges or has a bad config fails alone (pack); otherwise it throws (run of one).</param>
    internal async Task<IReadOnlyDictionary<string, PackOutcome>> TrainAsync(IReadOnlyList<PackMember> members,
        Func<string, RunCheckpoint, Task> onCheckpoint, DeviceSlot slot, bool isolate, CancellationToken ct)
    {
        if (members.Count == 0) throw new ArgumentException("training pack: no members");
        var spec = members[0].Spec;
        if (members.FirstOrDefault(m => !TrainingPackSpec.SharesRead(m.Spec, spec)) is { } odd)
            throw new ArgumentException($"training pack: run '{odd.RunId}' does not share the activation set, hook, batch size, steps, seed and cadence of '{members[0].RunId}'");
        var set = await registry.ActivationSets.GetAsync(spec.ActivationSetId, ct)
                  ?? throw new ArgumentException($"activation set '{spec.ActivationSetId}' is not registered");
        if (!set.HookPoints.Contains(spec.Hook))
            throw new ArgumentException($"activation set '{set.Id}' has no hook '{spec.Hook}'; it has {string.Join(", ", set.HookPoints)}");
        var setDir = Path.Combine(await artefacts.DirectoryAsync(set.IndexSha256, ct), KernelShardExtractor.Sanitize(spec.Hook));

        var outcomes = new Dictionary<string, PackOutcome>();
        // Trainer member names are positions ("m0"): run ids need not be usable directory names.
        var runOf = new Dictionary<string, PackMember>();
        var sweepMembers = new List<SweepMember>();
        var workDir = Path.Combine(options.CacheRoot, "runs", $"{members[0].RunId}-{Guid.NewGuid():N}");
        try
        {
            for (var i = 0; i < members.Count; i++)
            {
                var member = members[i];
                SaeConfig sae;
                SaeTrainingConfig training;
                try
                {
                    sae = SaeConfig.FromJson(member.Spec.SaeConfigJson);
                    training = SaeTrainingConfig.FromJson(member.Spec.TrainingConfigJson);
                }
                catch (Exception e) when (isolate && e is ArgumentException or JsonException)
                {
                    outcomes[member.RunId] = new PackOutcome(null, JobFailure.Reason(e));
                    continue;
                }
                var name = $"m{i}";
                runOf[name] = member;
                sweepMembers.Add(new SweepMember(name, sae, training));
                Directory.CreateDirectory(Path.Combine(workDir, name));
                // Metrics logged after the checkpoint (or, with none, after step 0: a launch that died before its first
                // checkpoint) will be logged again; drop them so no point is doubled.
                await registry.Metrics.DeleteAfterStepAsync(member.RunId, member.ResumeFrom?.Step ?? 0, ct);
                if (member.ResumeFrom is { } resume)
                {
                    await using var source = await artefacts.Store.OpenReadAsync(resume.Artefact, ct);
                    await using var target = File.Create(Path.Combine(workDir, name, "checkpoint.safetensors"));
                    await source.CopyToAsync(target, ct);
                }
            }
            if (sweepMembers.Count == 0) return outcomes;

            var sweep = new SweepConfig
            {
                Members = sweepMembers,
                BatchSize = spec.BatchSize,
                TotalSteps = spec.Steps,
                Seed = spec.Seed,
                LogEvery = spec.LogEvery,
                CheckpointEvery = spec.CheckpointEvery,
            };
            using var reader = new ShufflingActivationReader(new ActivationSetReader(setDir), bufferShards: 2, seed: spec.Seed);
            var hooks = new TrainerHooks
            {
                Resume = members.Any(m => m.ResumeFrom is not null),
                // The trainer is synchronous on this (thread-pool) thread; its callbacks wait for their I/O.
                Progress = p => registry.Metrics.AppendAsync(Points(runOf[p.Member].RunId, p.Step, p.Metrics), ct).GetAwaiter().GetResult(),
                Checkpointed = (name, step, path) =>
                {
                    var stored = artefacts.Store.PutFileAsync(path, ArtefactKind.Safetensors, ct).GetAwaiter().GetResult();
                    registry.Artefacts.RecordAsync(stored, ct).GetAwaiter().GetResult();
                    // The report is a grain call; if that activation is deactivating it waits for this executor to
                    // stop, so the wait must end when the run is cancelled rather than deadlock.
                    onCheckpoint(runOf[name].RunId, new RunCheckpoint(step, stored.Sha256, new Dictionary<string, double>()))
                        .WaitAsync(ct).GetAwaiter().GetResult();
                },
                // Live progress: each step's figures to the member's grain memory (no storage, no grain call here).
                Stepped = members.Any(m => m.Stepped is not null)
                    ? f => runOf[f.Member].Stepped?.Invoke(new TrainingFigures(f.Step, f.TotalSteps, f.Loss, f.Fvu, f.L0))
                    : null,
                MemberStopped = isolate ? name => runOf[name].Stop.IsCancellationRequested : null,
                MemberFailed = isolate ? (_, _) => { } : null,
            };
            var results = SaeTrainer.Run(sweep, reader, workDir, hooks, ct, TorchRuntime.ParseDevice(slot.Device));
            if (results.FirstOrDefault(r => !r.Completed && r.Error is null && !runOf[r.Name].Stop.IsCancellationRequested) is { } stopped)
                throw new OperationCanceledException($"training run {runOf[stopped.Name].RunId} stopped at step {stopped.Step}");

            foreach (var result in results)
            {
                var runId = runOf[result.Name].RunId;
                if (result.Error is { } error) outcomes[runId] = new PackOutcome(null, error);
                if (result.Completed) outcomes[runId] = new PackOutcome(await RecordAsync(runId, spec, set, result, ct), null);
            }
            return outcomes;
        }
        finally
        {
            try { Directory.Delete(workDir, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>Stores a completed member's weights and histogram and registers its dictionary under its run id.</summary>
    async Task<RunCheckpoint> RecordAsync(string runId, TrainingRunSpec spec, ActivationSetRecord set, SaeRunResult result, CancellationToken ct)
    {
        var weights = await artefacts.Store.PutFileAsync(result.WeightsPath!, ArtefactKind.Safetensors, ct);
        await registry.Artefacts.RecordAsync(weights, ct);
        var metrics = Summary(result.Final!);
        if (result.HistogramPath is { } png)
        {
            var picture = await artefacts.Store.PutFileAsync(png, ArtefactKind.Png, ct);
            await registry.Artefacts.RecordAsync(picture, ct);
        }
        var sae = result.Sae;
        if (await registry.Dictionaries.GetAsync(runId, ct) is null)
            await registry.Dictionaries.RegisterAsync(new NewDictionary(set.ModelId, spec.Hook, SaeArchitectures.Of(sae.Kind), sae.DIn, sae.DSae,
                weights.Sha256, sae.ToJson(), JsonSerializer.Serialize(metrics), set.Id, runId, Id: runId), ct);
        return new RunCheckpoint(spec.Steps, weights.Sha256, metrics);
    }

    static Dictionary<string, double> Summary(SaeMetrics m) => new()
    {
        ["l0"] = m.L0, ["fvu"] = m.Fvu, ["mse"] = m.Mse, ["loss"] = m.Loss,
        ["dead_fraction"] = m.DeadFraction, ["dense_fraction"] = m.DenseFraction,
    };

    static List<MetricPoint> Points(string runId, long step, SaeMetrics m) =>
        Summary(m).Select(kv => new MetricPoint(runId, kv.Key, step, kv.Value)).Where(p => double.IsFinite(p.Value)).ToList();
}
