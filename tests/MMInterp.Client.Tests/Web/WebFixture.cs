using System.Net.Http.Headers;
using MMInterp.Client.Web;
using MMInterp.Grains.Contracts.Experiments;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Artefacts;
using MMInterp.Kernels.Plots;
using MMInterp.Silo.Storage;
using Microsoft.AspNetCore.Builder;
using SkiaSharp;
using Xunit;

namespace MMInterp.Client.Tests.Web;

/// <summary>
/// One web server for all web tests: a throwaway Postgres with the registry schema, an artefact store in a temp
/// directory holding real PNGs, a dictionary whose feature rows follow the dashboard contract, an experiment with
/// figures and an image, runs, and tokens of each kind (read, write, revoked).
/// </summary>
public sealed class WebFixture : IAsyncLifetime
{
    LocalPostgres? _pg;
    string _artefactDir = "";

    public const string ApplicationName = "mminterp-web-tests";
    public string ConnectionString => _pg!.ConnectionString;
    public RegistryStore Registry { get; private set; } = null!;
    public ArtefactStore Artefacts { get; private set; } = null!;
    public WebApplication App { get; private set; } = null!;
    public Uri BaseUri { get; private set; } = null!;
    public ModelRecord Model { get; private set; } = null!;
    public ActivationSetRecord ActivationSet { get; private set; } = null!;
    public DictionaryRecord Dictionary { get; private set; } = null!;
    public ExperimentRecord Experiment { get; private set; } = null!;
    public RunRecord Run { get; private set; } = null!;
    public RunRecord FinishedRun { get; private set; } = null!;
    /// <summary>A sweep with one succeeded member that logged L0 and FVU (so its page has a Pareto plot).</summary>
    public RunRecord Sweep { get; private set; } = null!;
    public string ReadToken { get; private set; } = "";
    public string WriteToken { get; private set; } = "";
    public string RevokedToken { get; private set; } = "";
    public string TopExamplesPng { get; private set; } = "";
    public string HistogramPng { get; private set; } = "";
    public string SteeringPng { get; private set; } = "";
    public string ParetoPng { get; private set; } = "";

    /// <summary>Feature 0: fully analysed (labels of three methods, ground truth, steering, three pictures).</summary>
    public const string BestLabel = "red things";
    public const string Concept = "colour=red";
    /// <summary>Feature 2's label: markup that must reach the page as text.</summary>
    public const string HostileLabel = "<script>alert('x')</script>";

    public async Task InitializeAsync()
    {
        _pg = await LocalPostgres.StartThrowawayAsync();
        await Migrations.ApplyAsync(_pg.ConnectionString);
        // Named, so a test can count this pool's connections in pg_stat_activity.
        Registry = RegistryStore.Create(_pg.ConnectionString + ";Application Name=" + ApplicationName);
        _artefactDir = Path.Combine(Path.GetTempPath(), $"mminterp-web-{Guid.NewGuid():N}");
        Artefacts = new ArtefactStore(_artefactDir);

        TopExamplesPng = await PngAsync(96, 64, SKColors.Red);
        HistogramPng = await CurveAsync("activation histogram", x => Math.Exp(-x / 3));
        SteeringPng = await CurveAsync("p(red) vs clamp", x => 1 - Math.Exp(-x / 4));
        ParetoPng = await PngAsync(40, 30, SKColors.Blue);

        var checkpoint = await Artefacts.PutAsync("checkpoint"u8.ToArray(), ArtefactKind.Safetensors);
        await Registry.Artefacts.RecordAsync(checkpoint);
        var model = Model = await Registry.Models.RegisterAsync(new NewModel("tiny-clip", ModelFamily.Clip, CheckpointSha256: checkpoint.Sha256));
        var index = await Artefacts.PutAsync("""{"shards": []}"""u8.ToArray(), ArtefactKind.Json);
        await Registry.Artefacts.RecordAsync(index);
        ActivationSet = await Registry.ActivationSets.RegisterAsync(new NewActivationSet(model.Id, ["vision.blocks.2.hook_resid_post"],
            """{"dataset": "shapes:train:64"}""", 1, 64, index.Sha256));
        Run = await Registry.Runs.CreateAsync(new NewRun(RunKind.SaeTraining, """{"lr": 0.001}""", TotalSteps: 100));
        await Registry.Runs.SetStatusAsync(Run.Id, RunStatus.Running);
        await Registry.Metrics.AppendAsync(Enumerable.Range(0, 5).Select(s => new MetricPoint(Run.Id, "fvu", s, 1.0 / (s + 1))).ToList());
        FinishedRun = await Registry.Runs.CreateAsync(new NewRun(RunKind.SaeTraining));
        await Registry.Runs.SetStatusAsync(FinishedRun.Id, RunStatus.Cancelled);
        Sweep = await Registry.Runs.CreateAsync(new NewRun(RunKind.Sweep));
        var member = await Registry.Runs.CreateAsync(new NewRun(RunKind.SaeTraining, ParentRunId: Sweep.Id));
        await Registry.Runs.SetStatusAsync(member.Id, RunStatus.Running);
        await Registry.Metrics.AppendAsync([new MetricPoint(member.Id, "l0", 10, 8), new MetricPoint(member.Id, "fvu", 10, 0.2)]);
        await Registry.Runs.SetStatusAsync(member.Id, RunStatus.Succeeded);
        Dictionary = await Registry.Dictionaries.RegisterAsync(new NewDictionary(model.Id, "vision.blocks.2.hook_resid_post", SaeArchitecture.TopK, 64, 256,
            checkpoint.Sha256, MetricsJson: """{"fvu": 0.12, "l0": 16}""", TrainingRunId: Run.Id));
        Experiment = await Registry.Experiments.CreateAsync(new NewExperiment("steer colours", "steering", "clamp each feature", """{"clamp": 8}"""));
        await Registry.Experiments.MergeResultsAsync(Experiment.Id,
            $$$"""{"figures": {"concept_recovery": 0.8, "steerable_share": 0.125}, "images": {"pareto": "{{{ParetoPng}}}"}, "controls": {"random_share": 0.02}, "example": "what colour is the square? -> orange <script>"}""");

        await Registry.Features.UpsertStatsAsync(Dictionary.Id,
        [
            new(0, $$$"""
                {"layer": 2, "hook": "vision.blocks.2.hook_resid_post", "density": 0.013, "mean_activation": 1.2, "max_activation": 7.9,
                 "ground_truth": {"concept": "{{{Concept}}}", "auroc": 0.97},
                 "free_labels": [{"label": "red", "score": 0.41}, {"label": "orange", "score": 0.2}],
                 "steering": {"target": "colour=red", "delta_prob": 0.52, "flip_share": 0.8, "steerable": true},
                 "text_reading": false,
                 "images": {"top_examples": "{{{TopExamplesPng}}}", "histogram": "{{{HistogramPng}}}", "steering": "{{{SteeringPng}}}"}}
                """),
            new(1, """{"layer": 2, "density": 0.2, "ground_truth": {"concept": "position=upper left", "auroc": 0.71}, "steering": {"delta_prob": 0.01, "steerable": false}}"""),
            // Wrong types and unknown keys: rendered as absent, never an error.
            new(3, """{"density": "high", "ground_truth": [1, 2], "images": {"histogram": "not-a-sha"}, "later_analysis": {"x": 1}}"""),
        ]);
        await Registry.Features.UpsertLabelsAsync(Dictionary.Id,
        [
            new(0, "red", 0.41, LabelMethod.FreeLabel), new(0, BestLabel, 0.52, LabelMethod.Steering, Experiment.Id),
            new(0, Concept, 0.97, LabelMethod.GroundTruth), new(2, HostileLabel, 0.3, LabelMethod.FreeLabel),
        ]);

        await Registry.Tokens.EnsureUserAsync("alice");
        ReadToken = (await Registry.Tokens.CreateAsync("alice", [TokenScope.Read], description: "web tests")).Token;
        WriteToken = (await Registry.Tokens.CreateAsync("alice", [TokenScope.Write])).Token;
        var revoked = await Registry.Tokens.CreateAsync("alice", [TokenScope.Admin]);
        await Registry.Tokens.RevokeAsync(revoked.TokenId);
        RevokedToken = revoked.Token;

        App = WebServer.Build(new WebServerOptions(Port: 0), Registry, Artefacts);
        await App.StartAsync();
        BaseUri = WebServer.Address(App);
    }

    /// <summary>A client that neither follows redirects nor keeps cookies, so each test sees raw answers.</summary>
    public HttpClient Client(string? bearer = null, string? cookieToken = null)
    {
        var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = BaseUri };
        if (bearer is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        if (cookieToken is not null) client.DefaultRequestHeaders.Add("Cookie", $"mminterp_token={cookieToken}");
        return client;
    }

    public string FeaturePath(int index) => $"/dictionaries/{Dictionary.Id}/features/{index}";

    async Task<string> PngAsync(int w, int h, SKColor colour)
    {
        var path = Path.Combine(Path.GetTempPath(), $"mminterp-web-{Guid.NewGuid():N}.png");
        using (var r = new Raster(w, h, SKColors.White))
        {
            r.FillRect(4, 4, w - 8, h - 8, colour);
            r.SavePng(path);
        }
        return await PutAndDeleteAsync(path);
    }

    async Task<string> CurveAsync(string title, Func<double, double> f)
    {
        var path = Path.Combine(Path.GetTempPath(), $"mminterp-web-{Guid.NewGuid():N}.png");
        CurvePng.Write(path, Enumerable.Range(0, 20).Select(i => ((double)i, f(i))).ToList(), title, "x", "y");
        return await PutAndDeleteAsync(path);
    }

    async Task<string> PutAndDeleteAsync(string path)
    {
        var stored = await Artefacts.PutFileAsync(path, ArtefactKind.Png);
        await Registry.Artefacts.RecordAsync(stored);
        File.Delete(path);
        return stored.Sha256;
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
public sealed class WebCollection : ICollectionFixture<WebFixture>
{
    public const string Name = "web";
}
