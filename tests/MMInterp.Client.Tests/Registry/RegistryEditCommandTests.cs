using System.CommandLine;
using System.Text.Json.Nodes;
using MMInterp.Client.Commands;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Artefacts;
using MMInterp.Silo.Storage;
using Spectre.Console;
using Xunit;

namespace MMInterp.Client.Tests.Registry;

/// <summary>
/// `registry describe|tag|archive|delete` on a real throwaway Postgres: what they store is shown by `show` and `list`
/// (tables and --json); archive hides a row from lists only; delete refuses a row others depend on and names them,
/// refuses a running run, and removes a row nothing depends on. Each test registers its own rows.
/// </summary>
[Collection(MMInterp.Client.Tests.Cli.ConsoleErrorCollection.Name)]
public sealed class RegistryEditCommandTests : IAsyncLifetime
{
    LocalPostgres? _pg;
    string Db => _pg!.ConnectionString;

    public async Task InitializeAsync()
    {
        _pg = await LocalPostgres.StartThrowawayAsync();
        await Migrations.ApplyAsync(_pg.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        if (_pg is not null) await _pg.DisposeAsync();
    }

    async Task<(int Code, string Out, string Err)> InvokeAsync(params string[] args)
    {
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Interactive = InteractionSupport.No, Out = new AnsiConsoleOutput(writer),
        });
        console.Profile.Width = 240;
        var err = new StringWriter();
        var previous = Console.Error;
        Console.SetError(err);
        try
        {
            var code = await new RootCommand { RegistryCommand.Create(console) }.Parse([.. args, "--db", Db]).InvokeAsync();
            return (code, writer.ToString(), err.ToString());
        }
        finally { Console.SetError(previous); }
    }

    /// <summary>A model with a checkpoint, and optionally a dictionary that reads it.</summary>
    async Task<(ModelRecord Model, DictionaryRecord? Dictionary)> RegisterAsync(string name, bool withDictionary)
    {
        await using var store = RegistryStore.Create(Db);
        var bytes = System.Text.Encoding.UTF8.GetBytes($"weights of {name}");
        var artefact = await store.Artefacts.RecordAsync(new ArtefactRef(ArtefactHash.Of(bytes), bytes.Length, ArtefactKind.Safetensors));
        var model = await store.Models.RegisterAsync(new NewModel(name, ModelFamily.Clip, "{}", artefact.Sha256));
        var dictionary = withDictionary
            ? await store.Dictionaries.RegisterAsync(new NewDictionary(model.Id, "vision.blocks.1.hook_resid_post", SaeArchitecture.TopK, 8, 32, artefact.Sha256))
            : null;
        return (model, dictionary);
    }

    [Fact]
    public async Task DescribeAndTagAreStoredAndShownByShowAndList()
    {
        var (model, _) = await RegisterAsync("described", withDictionary: false);
        Assert.Equal(0, (await InvokeAsync("registry", "describe", "model", model.Id, "the CLIP we ship")).Code);
        Assert.Equal(0, (await InvokeAsync("registry", "tag", "model", model.Id, "baseline", "v1")).Code);
        var (code, output, _) = await InvokeAsync("registry", "tag", "model", model.Id, "--remove", "v1", "--json");
        Assert.Equal(0, code);
        Assert.Equal(new[] { "baseline" }, JsonNode.Parse(output)!["tags"]!.AsArray().Select(t => (string?)t).ToArray());

        var shown = JsonNode.Parse((await InvokeAsync("registry", "show", "model", model.Id, "--json")).Out)!;
        Assert.Equal("the CLIP we ship", (string?)shown["description"]);
        Assert.Equal("baseline", (string?)shown["tags"]![0]);
        Assert.Null(shown["archived_at"]);

        var table = (await InvokeAsync("registry", "list", "models")).Out;
        Assert.Contains("baseline", table);
        Assert.Contains("the CLIP we ship", table);
        var listed = JsonNode.Parse((await InvokeAsync("registry", "list", "models", "--json")).Out)!.AsArray();
        Assert.Equal("the CLIP we ship", (string?)listed.Single(m => (string?)m!["id"] == model.Id)!["description"]);
    }

    [Fact]
    public async Task ABadTagOrAnUnknownRowIsOneLineAndExitTwo()
    {
        var (model, _) = await RegisterAsync("tagged-badly", withDictionary: false);
        var (code, _, err) = await InvokeAsync("registry", "tag", "model", model.Id, "has space");
        Assert.Equal(2, code);
        Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("tag 'has space'", err);

        (code, _, err) = await InvokeAsync("registry", "describe", "dictionary", "dict-nope", "x");
        Assert.Equal(2, code);
        Assert.StartsWith("error: no dictionary 'dict-nope' in the registry", err);
    }

    [Fact]
    public async Task ArchiveHidesFromListsOnlyAndUndoBringsItBack()
    {
        var (model, _) = await RegisterAsync("archived", withDictionary: false);
        Assert.Equal(0, (await InvokeAsync("registry", "archive", "model", model.Id)).Code);
        Assert.DoesNotContain(model.Id, (await InvokeAsync("registry", "list", "models")).Out);
        Assert.DoesNotContain(model.Id, (await InvokeAsync("registry", "list", "models", "--json")).Out);
        Assert.Contains(model.Id, (await InvokeAsync("registry", "list", "models", "--archived")).Out);
        // Still shown by id, with the time it was archived.
        var shown = JsonNode.Parse((await InvokeAsync("registry", "show", "model", model.Id, "--json")).Out)!;
        Assert.NotNull(shown["archived_at"]);

        Assert.Equal(0, (await InvokeAsync("registry", "archive", "model", model.Id, "--undo")).Code);
        Assert.Contains(model.Id, (await InvokeAsync("registry", "list", "models")).Out);
    }

    [Fact]
    public async Task DeleteRefusesWhileADictionaryDependsOnTheModelAndNamesIt()
    {
        var (model, dictionary) = await RegisterAsync("depended-on", withDictionary: true);
        var (code, _, err) = await InvokeAsync("registry", "delete", "model", model.Id);
        Assert.Equal(2, code);
        Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains($"model '{model.Id}' is still used by 1 dictionary ({dictionary!.Id})", err);
        await using (var store = RegistryStore.Create(Db)) Assert.NotNull(await store.Models.GetAsync(model.Id));

        // The dependent first, then the model: both go, and the model's annotation with it.
        Assert.Equal(0, (await InvokeAsync("registry", "tag", "model", model.Id, "doomed")).Code);
        Assert.Equal(0, (await InvokeAsync("registry", "delete", "dictionary", dictionary.Id)).Code);
        var (deleted, output, _) = await InvokeAsync("registry", "delete", "model", model.Id);
        Assert.Equal(0, deleted);
        Assert.Contains($"deleted model {model.Id}", output);
        await using (var store = RegistryStore.Create(Db))
        {
            Assert.Null(await store.Models.GetAsync(model.Id));
            Assert.Empty((await store.Annotations.GetAsync("model", model.Id)).Tags);
        }
    }

    [Fact]
    public async Task DeleteRefusesARunningRun()
    {
        await using var store = RegistryStore.Create(Db);
        var run = await store.Runs.CreateAsync(new NewRun(RunKind.SaeTraining, "{}", TotalSteps: 10));
        await store.Runs.SetStatusAsync(run.Id, RunStatus.Running);
        var (code, _, err) = await InvokeAsync("registry", "delete", "run", run.Id);
        Assert.Equal(2, code);
        Assert.Contains($"run '{run.Id}' is running; cancel it first", err);
        Assert.NotNull(await store.Runs.GetAsync(run.Id));
    }
}
