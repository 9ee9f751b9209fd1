using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Grains.Placement;
using MMInterp.Grains.Registry;
using MMInterp.Integration.Tests.Cluster;
using MMInterp.Kernels.Artefacts;
using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Models.Clip;
using MMInterp.Kernels.Sae;
using MMInterp.Kernels.Sae.Training;
using MMInterp.Kernels.ShapesWorld;
using MMInterp.Kernels.Zoo;
using MMInterp.Silo.Hosting;
using MMInterp.Silo.Storage;
using MMInterp.Silo.Work;
using Orleans.Configuration;
using TorchSharp;
using Xunit;

namespace MMInterp.Integration.Tests.Fault;

/// <summary>
/// A real cluster for fault tests: one throwaway Postgres, three `mminterp-silo` processes (two accelerators, one
/// control) sharing one MMINTERP_HOME, an Orleans client in this process, a registered random CLIP and one
/// extracted activation set to train on.
/// </summary>
public sealed class FaultCluster : IAsyncLifetime
{
    public const string ClusterId = "fault";
    public const string Hook = "vision.blocks.1.hook_resid_post";
    /// <summary>Resume-reminder period of the silos: how soon a lost run is picked up again.</summary>
    const int ResumeSeconds = 3;

    public string Home { get; } = Path.Combine(Path.GetTempPath(), $"mminterp-fault-{Guid.NewGuid():N}");
    public LocalPostgres Pg { get; private set; } = null!;
    public RegistryStore Registry { get; private set; } = null!;
    public ArtefactStore Store { get; private set; } = null!;
    public IClusterClient Grains { get; private set; } = null!;
    public List<Silo> Silos { get; } = [];
    public string ActivationSetId { get; private set; } = null!;
    IHost? _client;

    public sealed record Silo(string Name, SiloRole Role, int Port, SiloProcess Process);
    IReadOnlyDictionary<string, string> _environment = null!;

    Silo StartSilo(string name, SiloRole role)
    {
        var port = FreePorts.Next();
        var gateway = FreePorts.Next();
        while (gateway == port) gateway = FreePorts.Next();
        var process = SiloProcess.Start(_environment, "--db", Pg.ConnectionString, "--cluster-id", ClusterId, "--name", name,
            "--silo-port", $"{port}", "--gateway-port", $"{gateway}", "--role", role.ToString().ToLowerInvariant());
        return new Silo(name, role, port, process);
    }

    /// <summary>Starts a killed silo again (same name and role, new ports), so the next test that kills an
    /// accelerator still has two: the fault tests share this cluster.</summary>
    public async Task ReviveAsync(Silo killed)
    {
        var fresh = StartSilo(killed.Name, killed.Role);
        Silos[Silos.IndexOf(killed)] = fresh;
        await killed.Process.DisposeAsync();
        try { await fresh.Process.WaitUpAsync(TimeSpan.FromMinutes(2)); }
        catch (TimeoutException) { throw new InvalidOperationException($"silo {fresh.Name} not up again after 2 minutes:\n{fresh.Process.Output}"); }
    }

    public async Task InitializeAsync()
    {
        Pg = await LocalPostgres.StartThrowawayAsync();
        await Migrations.ApplyAsync(Pg.ConnectionString);
        Registry = RegistryStore.Create(Pg.ConnectionString);
        Store = new ArtefactStore(Path.Combine(Home, "artefacts"));

        torch.manual_seed(11);
        var zoo = new ClipZooConfig { VisionWidth = 32, VisionLayers = 2, TextWidth = 32, TextLayers = 1, Heads = 2, ProjectionDim = 16 };
        var tokenizer = ShapesVocabulary.Build();
        var modelDir = Path.Combine(Home, "model");
        using (var model = new ClipModel(zoo.ModelConfig(tokenizer.VocabSize, tokenizer.EndId, tokenizer.StartId)))
            ClipCheckpoint.Save(model, tokenizer, modelDir);
        await ModelRegistration.RegisterDirectoryAsync(Store, Registry, "clip-fault", "tiny clip (random)", ModelFamily.Clip, modelDir, "{}");

        _environment = new Dictionary<string, string>
        {
            ["MMINTERP_HOME"] = Home,
            ["MMINTERP_RESUME_SECONDS"] = ResumeSeconds.ToString(),
            // One libtorch thread per silo: two training silos on two cores would otherwise spin against each other.
            ["OMP_NUM_THREADS"] = "1",
            ["MMINTERP_LOG_LEVEL"] = "Warning",
        };
        foreach (var (name, role) in new[] { ("acc-a", SiloRole.Accelerator), ("acc-b", SiloRole.Accelerator), ("ctl", SiloRole.Control) })
            Silos.Add(StartSilo(name, role));
        foreach (var silo in Silos)
        {
            try { await silo.Process.WaitUpAsync(TimeSpan.FromMinutes(2)); }
            catch (TimeoutException) { throw new InvalidOperationException($"silo {silo.Name} not up after 2 minutes:\n{silo.Process.Output}"); }
        }

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.UseOrleansClient(c =>
        {
            c.Configure<ClusterOptions>(o => { o.ClusterId = ClusterId; o.ServiceId = SiloHostOptions.DefaultServiceId; });
            c.UseMMInterpPostgres(Pg.ConnectionString);
        });
        _client = builder.Build();
        await _client.StartAsync();
        Grains = _client.Services.GetRequiredService<IClusterClient>();

        // The activation set both scenarios train on: a real sharded extraction across the two accelerators.
        var job = Grains.GetGrain<IExtractionJobGrain>("fault-ext");
        await job.Start(new ExtractionJobSpec("clip-fault", [Hook], DatasetSpec.Parse("shapes:train:256"), Shards: 4));
        var progress = await WaitForAsync(job.Status, p => p.Finished, TimeSpan.FromMinutes(3), "extraction job fault-ext");
        if (progress.Phase != JobPhase.Succeeded) throw new InvalidOperationException($"extraction failed: {progress.Error}\n{Logs()}");
        ActivationSetId = progress.ActivationSetId!;
    }

    /// <summary>
    /// A TopK SAE run of some 10-30 s on this (shared, 2-core) machine, checkpointing every 40 steps so there is
    /// always a recent checkpoint to resume from. A step is a few ms; a checkpoint (file to the store, registry row,
    /// grain state) some tens of ms.
    /// </summary>
    public TrainingRunSpec Spec(long seed) => new(ActivationSetId, Hook,
        new SaeConfig { Kind = SaeKind.TopK, DIn = 32, DSae = 512, K = 16 }.ToJson(),
        new SaeTrainingConfig { Lr = 3e-3 }.ToJson(),
        Steps: 1000, CheckpointEvery: 40, Seed: seed, BatchSize: 512, LogEvery: 40);

    /// <summary>The silo whose address (as grains report it: "S127.0.0.1:port:generation") carries its silo port.</summary>
    public Silo SiloAt(string? address)
    {
        var port = address?.Split(':') is [_, var p, ..] && int.TryParse(p, out var n) ? n : -1;
        return Silos.SingleOrDefault(s => s.Port == port) ?? throw new InvalidOperationException($"no silo process has address '{address}'");
    }

    public string Logs() => string.Join("\n", Silos.Select(s => $"--- {s.Name} (pid {s.Process.Id}{(s.Process.HasExited ? ", exited" : "")}) ---\n{Tail(s.Process.Output)}"));

    static string Tail(string text) => text.Length <= 4000 ? text : "..." + text[^4000..];

    /// <summary>Polls until <paramref name="done"/>; probe failures (database down, silo dying) count as not done yet.
    /// <paramref name="limit"/> is the time allowed without progress: each change of the probed value (a new step, a
    /// new phase) restarts it, up to four limits in all, so a loaded machine that is slow but moving does not fail.</summary>
    public async Task<T> WaitForAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan limit, string what)
    {
        var start = DateTime.UtcNow;
        var deadline = start + limit;
        var cap = start + 4 * limit;
        T? last = default;
        string? seen = null;
        Exception? lastError = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                last = await probe().WaitAsync(TimeSpan.FromSeconds(20));
                lastError = null;
                if (done(last)) return last;
                if (last?.ToString() is { } now && now != seen)
                {
                    seen = now;
                    deadline = new DateTime(Math.Min((DateTime.UtcNow + limit).Ticks, cap.Ticks), DateTimeKind.Utc);
                }
            }
            catch (Exception e) { lastError = e; }
            await Task.Delay(250);
        }
        throw new TimeoutException($"{what}: not done after {(DateTime.UtcNow - start).TotalSeconds:F0} s ({limit.TotalSeconds:F0} s without progress, or the cap of four times that); last seen {last}{(lastError is null ? "" : $", last error {lastError.Message}")}\n{Logs()}");
    }

    public async Task DisposeAsync()
    {
        if (_client is not null)
        {
            try { await _client.StopAsync(TimeSpan.FromSeconds(10)); } catch (Exception) { }
            _client.Dispose();
        }
        foreach (var silo in Silos) await silo.Process.DisposeAsync();
        if (Registry is not null) await Registry.DisposeAsync();
        if (Pg is not null) await Pg.DisposeAsync();
        try { Directory.Delete(Home, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
