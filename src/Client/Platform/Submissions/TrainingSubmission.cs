using System.Text.Json;
using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Activations;
using MMInterp.Kernels.Artefacts;
using MMInterp.Kernels.Sae;
using MMInterp.Kernels.Sae.Training;

namespace MMInterp.Client.Platform.Submissions;

/// <summary>An SAE training run as `mminterp train-sae` and POST /api/jobs/train-sae ask for it (the CLI's option names
/// and defaults; snake_case in JSON: d_sae, checkpoint_every).</summary>
public sealed record TrainSaeRequest(string Activations, string? Hook = null, string Kind = "topk", int DSae = 512, int K = 32, double Lr = 1e-3,
    double Sparsity = 1.0, long Steps = 2000, int Batch = 1024, int CheckpointEvery = 250, long Seed = 0, string? Id = null)
{
    public TrainSaeRequest Validated()
    {
        if (string.IsNullOrWhiteSpace(Activations)) throw new ArgumentException("activations is required (a registered activation set id)");
        SaeOptions.ParseKind(Kind);
        if (Steps < 1) throw new ArgumentException($"steps must be at least 1, got {Steps}");
        if (Batch < 1) throw new ArgumentException($"batch must be at least 1, got {Batch}");
        if (CheckpointEvery < 1) throw new ArgumentException($"checkpoint_every must be at least 1, got {CheckpointEvery}");
        if (!double.IsFinite(Lr) || Lr <= 0) throw new ArgumentException($"lr must be a positive number, got {Lr}");
        RegistryIdsCheck.Optional(Id, "id");
        return this;
    }

    /// <summary>The kernels' validated configs for activations of width <paramref name="dIn"/>.</summary>
    public (SaeConfig Sae, SaeTrainingConfig Training) Configs(int dIn) =>
        (new SaeConfig { Kind = SaeOptions.ParseKind(Kind), DIn = dIn, DSae = DSae, K = K, Seed = Seed }.Validate(),
         new SaeTrainingConfig
         {
             Lr = Lr, SparsityCoefficient = Sparsity,
             LrWarmupSteps = (int)Math.Min(100, Steps / 10),
             DeadFeatures = DeadFeatureStrategy.AuxK,
         }.Validate());
}

/// <summary>The one road to an SAE training run (and to the base run of a sweep): `train-sae`, `sweep` and the web API.</summary>
public static class TrainingSubmission
{
    public sealed record Prepared(TrainingRunSpec Spec, SaeConfig Sae, ActivationSetRecord Set, string Hook, int D);

    /// <summary>The run's spec: the activation set must be registered and hold the hook; the SAE's width is the set's.</summary>
    public static async Task<Prepared> SpecAsync(WorkContext w, TrainSaeRequest request, CancellationToken ct)
    {
        var r = request.Validated();
        var (set, hook, d) = await ResolveSetAsync(w, r.Activations, r.Hook, ct);
        var (sae, training) = r.Configs(d);
        var spec = new TrainingRunSpec(set.Id, hook, sae.ToJson(), training.ToJson(), r.Steps, r.CheckpointEvery, r.Seed, BatchSize: r.Batch,
            LogEvery: (int)Math.Max(1, Math.Min(100, r.Steps / 20)));
        return new Prepared(spec, sae, set, hook, d);
    }

    public static async Task<ITrainingRunGrain> StartAsync(WorkContext w, string runId, TrainingRunSpec spec, CancellationToken ct)
    {
        var run = (await w.Cluster(ct)).GetGrain<ITrainingRunGrain>(runId);
        await run.Start(spec.Validated());
        return run;
    }

    /// <summary>An activation set's hook (default: its first) and width, from the registry and the set's index.</summary>
    public static async Task<(ActivationSetRecord Set, string Hook, int D)> ResolveSetAsync(WorkContext w, string setId, string? hook, CancellationToken ct)
    {
        var set = await w.Registry.ActivationSets.GetAsync(setId, ct)
                  ?? throw new ArgumentException($"activation set '{setId}' is not registered (see `mminterp registry list activations`)");
        var chosen = hook ?? set.HookPoints[0];
        if (!set.HookPoints.Contains(chosen))
            throw new ArgumentException($"activation set '{setId}' has no hook '{chosen}'; it has {string.Join(", ", set.HookPoints)}");
        var manifest = await w.Artefacts.ReadManifestAsync(set.IndexSha256, ct);
        var entry = manifest.Entries.SingleOrDefault(e => e.Path == $"{chosen}/{ActivationSetIndex.FileName}")
                    ?? throw new InvalidDataException($"activation set '{setId}' has no index for '{chosen}'");
        var index = JsonSerializer.Deserialize<ActivationSetIndex>(await w.Artefacts.ReadAllBytesAsync(entry.Sha256, ct))
                    ?? throw new InvalidDataException($"activation set '{setId}': index for '{chosen}' is empty");
        return (set, chosen, index.D);
    }
}
