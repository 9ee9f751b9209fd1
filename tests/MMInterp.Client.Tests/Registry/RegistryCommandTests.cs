using System.CommandLine;
using System.Diagnostics;
using MMInterp.Client.Commands;
using MMInterp.Grains.Contracts.Experiments;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Artefacts;
using MMInterp.Silo.Storage;
using Spectre.Console;
using Xunit;

namespace MMInterp.Client.Tests.Registry;

/// <summary>A migrated throwaway registry with one model, one run (with metrics) and one artefact.</summary>
public sealed class PopulatedRegistry : IAsyncLifetime
{
    LocalPostgres? _pg;
    public string ConnectionString => _pg!.ConnectionString;
    public ModelRecord Model { get; private set; } = null!;
    public RunRecord Run { get; private set; } = null!;
    public ArtefactRecord Artefact { get; private set; } = null!;
    public DictionaryRecord Dictionary { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _pg = await LocalPostgres.StartThrowawayAsync();
        await Migrations.ApplyAsync(_pg.ConnectionString);
        await using var store = RegistryStore.Create(_pg.ConnectionString);
        var bytes = "weights"u8.ToArray();
        Artefact = await store.Artefacts.RecordAsync(new ArtefactRef(ArtefactHash.Of(bytes), bytes.Length, ArtefactKind.Safetensors));
        Model = await store.Models.RegisterAsync(new NewModel("tiny-clip [s0]", ModelFamily.Clip, """{"d_model": 64}""", Artefact.Sha256));
        Run = await store.Runs.CreateAsync(new NewRun(RunKind.SaeTraining, """{"lr": 0.001}""", TotalSteps: 10));
        await store.Runs.SetStatusAsync(Run.Id, RunStatus.Running);
        await store.Metrics.AppendAsync(Enumerable.Range(0, 10).Select(s => new MetricPoint(Run.Id, "loss", s, 10 - s)).ToList());
        Dictionary = await store.Dictionaries.RegisterAsync(new NewDictionary(Model.Id, "vision.blocks.1.hook_resid_post", SaeArchitecture.TopK, 64, 512, Artefact.Sha256));
        await store.Features.UpsertLabelsAsync(Dictionary.Id, [new(3, "red", 0.9, LabelMethod.FreeLabel), new(4, "circle", 0.8, LabelMethod.FreeLabel)]);
    }

    public async Task DisposeAsync()
    {
        if (_pg is not null) await _pg.DisposeAsync();
    }
}

public class RegistryCommandTests(PopulatedRegistry registry) : IClassFixture<PopulatedRegistry>
{
    async Task<(int Code, string Out)> InvokeAsync(params string[] args)
    {
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(writer),
        });
        console.Profile.Width = 240;
        var root = new RootCommand { RegistryCommand.Create(console) };
        var code = await root.Parse(args).InvokeAsync();
        return (code, writer.ToString());
    }

    [Fact]
    public async Task ListModelsPrintsATableWithTheModel()
    {
        var (code, output) = await InvokeAsync("registry", "list", "models", "--db", registry.ConnectionString);
        Assert.Equal(0, code);
        Assert.Contains(registry.Model.Id, output);
        Assert.Contains("tiny-clip [s0]", output); // printed as text, not read as markup
        Assert.Contains(registry.Artefact.Sha256[..12], output);
    }

    [Fact]
    public async Task ListAsJsonInlinesDocuments()
    {
        var (code, output) = await InvokeAsync("registry", "list", "runs", "--json", "--db", registry.ConnectionString);
        Assert.Equal(0, code);
        var runs = System.Text.Json.Nodes.JsonNode.Parse(output)!.AsArray();
        var run = Assert.Single(runs)!;
        Assert.Equal(registry.Run.Id, (string?)run["id"]);
        Assert.Equal("running", (string?)run["status"]);
        Assert.Equal("sae_training", (string?)run["kind"]);
        Assert.Equal(0.001, (double?)run["config"]!["lr"]);
    }

    [Fact]
    public async Task ListRunsFiltersByStatusKindAndDate()
    {
        async Task<string[]> Ids(params string[] filters)
        {
            var (code, output) = await InvokeAsync(["registry", "list", "runs", "--json", "--db", registry.ConnectionString, .. filters]);
            Assert.Equal(0, code);
            return System.Text.Json.Nodes.JsonNode.Parse(output)!.AsArray().Select(r => (string)r!["id"]!).ToArray();
        }
        Assert.Equal([registry.Run.Id], await Ids("--status", "running", "--type", "sae_training"));
        Assert.Empty(await Ids("--status", "failed"));
        Assert.Empty(await Ids("--type", "sweep"));
        Assert.Empty(await Ids("--since", "2999-01-01"));
        Assert.Equal([registry.Run.Id], await Ids("--until", "2999-01-01T00:00Z"));
        Assert.Empty(await Ids("--model", registry.Model.Id)); // the run names no model and made nothing of it

        var (bad, _) = await InvokeAsync("registry", "list", "runs", "--status", "vibes", "--db", registry.ConnectionString);
        Assert.NotEqual(0, bad);
        var (wrongKind, _) = await InvokeAsync("registry", "list", "models", "--status", "failed", "--db", registry.ConnectionString);
        Assert.NotEqual(0, wrongKind);
    }

    [Fact]
    public async Task ShowRunIncludesItsMetricSeries()
    {
        var (code, output) = await InvokeAsync("registry", "show", "run", registry.Run.Id, "--db", registry.ConnectionString);
        Assert.Equal(0, code);
        Assert.Contains("sae_training", output);
        Assert.Contains("metric series", output);
        Assert.Contains("0-9", output);

        (code, output) = await InvokeAsync("registry", "show", "models", registry.Model.Name, "--json", "--db", registry.ConnectionString);
        Assert.Equal(0, code);
        Assert.Equal(64, (int?)System.Text.Json.Nodes.JsonNode.Parse(output)!["spec"]!["d_model"]);
    }

    [Fact]
    public async Task ShowDictionaryCountsItsFeaturesAndLabels()
    {
        var (code, output) = await InvokeAsync("registry", "show", "dictionary", registry.Dictionary.Id, "--json", "--db", registry.ConnectionString);
        Assert.Equal(0, code);
        var node = System.Text.Json.Nodes.JsonNode.Parse(output)!;
        Assert.Equal("topk", (string?)node["architecture"]);
        Assert.Equal((2L, 2L), ((long?)node["feature_rows"], (long?)node["label_rows"]));
    }

    [Fact]
    public async Task EmptyKindsSayNone()
    {
        var (code, output) = await InvokeAsync("registry", "list", "experiments", "--db", registry.ConnectionString);
        Assert.Equal(0, code);
        Assert.Contains("(none)", output);
    }

    [Fact]
    public async Task TheExecutableReadsMMINTERP_DBAndReportsErrorsInOneLine()
    {
        var ok = await RunCliAsync(["registry", "list", "artefacts"], registry.ConnectionString);
        Assert.Equal(0, ok.Code);
        Assert.Contains(registry.Artefact.Sha256, ok.Out);

        var missing = await RunCliAsync(["registry", "show", "run", "run-nope"], registry.ConnectionString);
        Assert.Equal(1, missing.Code);
        Assert.Equal("error: no run 'run-nope' in the registry", missing.Err.Trim());

        var down = await RunCliAsync(["registry", "list", "models", "--db", "Host=127.0.0.1;Port=1;Username=x;Database=y;Timeout=3"], null);
        Assert.NotEqual(0, down.Code);
        Assert.Single(down.Err.Trim().Split('\n'));
        Assert.StartsWith("error: cannot connect to PostgreSQL at 127.0.0.1:1", down.Err);

        // Without a database the embedded server is used; a bad setting for it is named.
        var none = await RunCliAsync(["registry", "list", "models"], null, ("MMINTERP_PGPORT", "not-a-port"));
        Assert.Equal(2, none.Code);
        Assert.Equal("error: MMINTERP_PGPORT must be a port number 1-65535, got 'not-a-port'", none.Err.Trim());
    }

    static async Task<(int Code, string Out, string Err)> RunCliAsync(string[] args, string? db, params (string Name, string Value)[] env)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "mminterp.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["MMINTERP_DB"] = db ?? "";
        psi.Environment["COLUMNS"] = "240";
        foreach (var (name, value) in env) psi.Environment[name] = value;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return (p.ExitCode, await stdout, await stderr);
    }
}
