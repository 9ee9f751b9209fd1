using System.Net.Http.Headers;
using System.Text.Json;
using MMInterp.Client.Web;
using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Artefacts;
using MMInterp.Kernels.Sae;
using MMInterp.Kernels.Sae.Training;
using MMInterp.Silo.Storage;
using Microsoft.AspNetCore.Builder;
using Xunit;

namespace MMInterp.Client.Tests.Web;

/// <summary>
/// A registry with lineage to compare and follow, as the silo records it: two models, an activation set of each, a
/// sweep over sae.K whose three members log loss/L0/FVU/dead-fraction series (their configs are real
/// TrainingRunSpec and SweepSpec JSON, as the grains store them), a failed run on the other model, dictionaries
/// registered from two members and one more, and an experiment that names a dictionary in its config.
/// </summary>
public sealed class CompareFixture : IAsyncLifetime
{
    LocalPostgres? _pg;
    string _artefactDir = "";

    public RegistryStore Registry { get; private set; } = null!;
    public WebApplication App { get; private set; } = null!;
    public Uri BaseUri { get; private set; } = null!;
    public string Token { get; private set; } = "";

    public ModelRecord Model { get; private set; } = null!;
    public ModelRecord OtherModel { get; private set; } = null!;
    public ActivationSetRecord Set { get; private set; } = null!;
    public ActivationSetRecord OtherSet { get; private set; } = null!;
    public RunRecord Sweep { get; private set; } = null!;
    /// <summary>The sweep's members for K = 4, 8, 16: final (L0, FVU) = (4, 0.30), (8, 0.20), (16, 0.25), so K=16 is off the front.</summary>
    public IReadOnlyList<RunRecord> Members { get; private set; } = [];
    public RunRecord FailedRun { get; private set; } = null!;
    public DictionaryRecord DictK4 { get; private set; } = null!;
    public DictionaryRecord DictK8 { get; private set; } = null!;
    public DictionaryRecord OtherDict { get; private set; } = null!;
    public ExperimentRecord Experiment { get; private set; } = null!;

    /// <summary>Every stored point, by run and metric name, in step order.</summary>
    public Dictionary<(string Run, string Name), List<(long Step, double Value)>> Points { get; } = [];

    public const string Hook = "vision.blocks.2.hook_resid_post";
    public const string OtherHook = "vision.blocks.5.hook_resid_post";
    public static readonly long[] Steps = [0, 50, 100];

    public async Task InitializeAsync()
    {
        _pg = await LocalPostgres.StartThrowawayAsync();
        await Migrations.ApplyAsync(_pg.ConnectionString);
        Registry = RegistryStore.Create(_pg.ConnectionString);
        _artefactDir = Path.Combine(Path.GetTempPath(), $"mminterp-compare-{Guid.NewGuid():N}");
        var artefacts = new ArtefactStore(_artefactDir);
        var blob = await artefacts.PutAsync("weights"u8.ToArray(), ArtefactKind.Safetensors);
        await Registry.Artefacts.RecordAsync(blob);

        Model = await Registry.Models.RegisterAsync(new NewModel("tiny-clip", ModelFamily.Clip, CheckpointSha256: blob.Sha256));
        OtherModel = await Registry.Models.RegisterAsync(new NewModel("other-clip", ModelFamily.Clip));
        Set = await Registry.ActivationSets.RegisterAsync(new NewActivationSet(Model.Id, [Hook], """{"dataset": "shapes:train:64"}""", 1, 64, blob.Sha256));
        OtherSet = await Registry.ActivationSets.RegisterAsync(new NewActivationSet(OtherModel.Id, [OtherHook], """{"dataset": "shapes:train:64"}""", 1, 64, blob.Sha256));

        var baseSpec = Spec(Set.Id, Hook, k: 4, sparsity: 1.0);
        var sweepSpec = new SweepSpec(baseSpec, new Dictionary<string, IReadOnlyList<string>> { ["sae.K"] = ["4", "8", "16"] });
        Sweep = await Registry.Runs.CreateAsync(new NewRun(RunKind.Sweep, JsonSerializer.Serialize(sweepSpec), 3, Id: "sweep-k"));
        await Registry.Runs.SetStatusAsync(Sweep.Id, RunStatus.Running);

        var members = new List<RunRecord>();
        foreach (var (label, spec) in sweepSpec.Expand(Sweep.Id))
        {
            var k = int.Parse(label.Split('=')[1]);
            var (l0, fvu) = k switch { 4 => (4.0, 0.30), 8 => (8.0, 0.20), _ => (16.0, 0.25) };
            var run = await Registry.Runs.CreateAsync(new NewRun(RunKind.SaeTraining, JsonSerializer.Serialize(spec), 100, Sweep.Id, Id: $"sweep-k-r{members.Count:000}"));
            await Registry.Runs.SetStatusAsync(run.Id, RunStatus.Running);
            await LogAsync(run.Id, l0, fvu);
            members.Add(await Registry.Runs.SetStatusAsync(run.Id, RunStatus.Succeeded));
        }
        Members = members;
        Sweep = await Registry.Runs.SetStatusAsync(Sweep.Id, RunStatus.Succeeded);

        FailedRun = await Registry.Runs.CreateAsync(new NewRun(RunKind.SaeTraining, JsonSerializer.Serialize(Spec(OtherSet.Id, OtherHook, k: 32, sparsity: 2.0)), 100, Id: "run-failed"));
        await Registry.Runs.SetStatusAsync(FailedRun.Id, RunStatus.Running);
        await LogAsync(FailedRun.Id, 32, 0.5);
        FailedRun = await Registry.Runs.SetStatusAsync(FailedRun.Id, RunStatus.Failed, "out of memory at step 100");

        DictK4 = await Registry.Dictionaries.RegisterAsync(new NewDictionary(Model.Id, Hook, SaeArchitecture.TopK, 16, 64, blob.Sha256,
            Sae(4).ToJson(), """{"l0": 4, "fvu": 0.30, "dead_fraction": 0.10, "mse": 0.03}""", Set.Id, Members[0].Id, Id: Members[0].Id));
        DictK8 = await Registry.Dictionaries.RegisterAsync(new NewDictionary(Model.Id, Hook, SaeArchitecture.TopK, 16, 64, blob.Sha256,
            Sae(8).ToJson(), """{"l0": 8, "fvu": 0.20, "dead_fraction": 0.05, "mse": 0.02}""", Set.Id, Members[1].Id, Id: Members[1].Id));
        OtherDict = await Registry.Dictionaries.RegisterAsync(new NewDictionary(OtherModel.Id, OtherHook, SaeArchitecture.Relu, 16, 128, blob.Sha256,
            MetricsJson: """{"l0": 40, "fvu": 0.60, "dead_fraction": 0.30}""", ActivationSetId: OtherSet.Id, Id: "sae-other"));
        Experiment = await Registry.Experiments.CreateAsync(new NewExperiment("steer K8", "steering", ConfigJson: $$"""{"dictionary": "{{DictK8.Id}}", "clamp": 8}"""));

        await Registry.Tokens.EnsureUserAsync("bob");
        Token = (await Registry.Tokens.CreateAsync("bob", [TokenScope.Read])).Token;
        App = WebServer.Build(new WebServerOptions(Port: 0), Registry, artefacts);
        await App.StartAsync();
        BaseUri = WebServer.Address(App);
    }

    static SaeConfig Sae(int k) => new() { Kind = SaeKind.TopK, DIn = 16, DSae = 64, K = k };

    static TrainingRunSpec Spec(string setId, string hook, int k, double sparsity) =>
        new(setId, hook, Sae(k).ToJson(), new SaeTrainingConfig { SparsityCoefficient = sparsity }.ToJson(), Steps: 100, CheckpointEvery: 50, Seed: 7);

    /// <summary>Series that end at (l0, fvu): decreasing FVU and loss, L0 settling, a dead fraction rising.</summary>
    async Task LogAsync(string runId, double l0, double fvu)
    {
        var points = new List<MetricPoint>();
        foreach (var (step, i) in Steps.Select((s, i) => (s, i)))
        {
            var left = Steps.Length - 1 - i; // 2, 1, 0
            foreach (var (name, value) in new[] { ("l0", l0 * (1 + left)), ("fvu", fvu + 0.1 * left), ("loss", 2 * fvu + 0.3 * left), ("dead_fraction", 0.01 * (i + 1)) })
            {
                points.Add(new MetricPoint(runId, name, step, value));
                (Points.TryGetValue((runId, name), out var list) ? list : Points[(runId, name)] = []).Add((step, value));
            }
        }
        await Registry.Metrics.AppendAsync(points);
    }

    public HttpClient Client()
    {
        var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = BaseUri };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        return client;
    }

    public async Task DisposeAsync()
    {
        if (App is not null) await App.DisposeAsync();
        if (Registry is not null) await Registry.DisposeAsync();
        if (_pg is not null) await _pg.DisposeAsync();
        if (Directory.Exists(_artefactDir)) Directory.Delete(_artefactDir, recursive: true);
    }
}

[CollectionDefinition(Name)]
public sealed class CompareCollection : ICollectionFixture<CompareFixture>
{
    public const string Name = "web-compare";
}
