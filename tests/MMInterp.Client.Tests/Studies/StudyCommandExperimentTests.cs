using System.Text.Json.Nodes;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Analyses;
using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Models.Clip;
using MMInterp.Kernels.ShapesWorld;
using MMInterp.Kernels.Zoo;
using MMInterp.Silo.Storage;
using TorchSharp;
using Xunit;

namespace MMInterp.Client.Tests.Studies;

/// <summary>
/// A study command as users run it: `mminterp probe --model DIR` on the embedded default. The directory is registered
/// as a model first, the probes run as an experiment on the cluster (not in the CLI process), and the experiment's
/// figures and picture come back: the registry holds the experiment with the options the command line gave.
/// </summary>
public sealed class StudyCommandExperimentTests : IAsyncLifetime
{
    readonly EmbeddedCli _cli = new("study");
    string _home => _cli.Home;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _cli.DisposeAsync();

    [Fact]
    public async Task ProbeOnAModelDirectoryRegistersItAndRunsAsAnExperiment()
    {
        var model = WriteClip(Path.Combine(_home, "tiny-clip"));
        var png = Path.Combine(_home, "out", "probe.png");
        var run = await Run("probe", "--model", model, "--attribute", "colour,shape", "--train-images", "16", "--test-images", "16", "--out", png);
        Assert.True(run.Code == 0, run.Output);
        Assert.True(new FileInfo(png).Length > 200, "the probe plot was not written");
        Assert.Contains("figure probe_colour_best_accuracy:", run.Output);

        await using var registry = RegistryStore.Create(_cli.ConnectionString);
        var registered = Assert.Single(await registry.Models.ListAsync());
        Assert.StartsWith("clip-dir-", registered.Id);
        var experiment = Assert.Single(await registry.Experiments.ListAsync());
        Assert.Equal(ProbeAnalysis.Kind, experiment.Kind);
        var config = JsonNode.Parse(experiment.ConfigJson)!;
        Assert.Equal(registered.Id, config["model"]!.GetValue<string>());
        Assert.Equal(16, config["options"]!["train_images"]!.GetValue<int>());
        var results = JsonNode.Parse(experiment.ResultsJson)!;
        Assert.NotNull(results["figures"]!["probe_shape_best_accuracy"]);
        Assert.Equal(1.0 / AttributeWords.Count(ObjectAttribute.Shape), results["figures"]!["probe_shape_chance"]!.GetValue<double>(), 6);
        Assert.Contains(results["controls"]!.AsArray(), c => c!["figure"]!.GetValue<string>() == "probe_colour_best_accuracy");

        // The same directory again is the same model, not a second registration.
        var again = await Run("probe", "--model", model, "--train-images", "16", "--test-images", "16", "--out", png);
        Assert.True(again.Code == 0, again.Output);
        Assert.Single(await registry.Models.ListAsync());
        Assert.Equal(2, (await registry.Experiments.ListAsync()).Count);
    }

    static string WriteClip(string dir)
    {
        torch.manual_seed(21);
        var zoo = new ClipZooConfig { VisionWidth = 32, VisionLayers = 2, TextWidth = 32, TextLayers = 1, Heads = 2, ProjectionDim = 16 };
        var tokenizer = ShapesVocabulary.Build();
        using var model = new ClipModel(zoo.ModelConfig(tokenizer.VocabSize, tokenizer.EndId, tokenizer.StartId));
        ClipCheckpoint.Save(model, tokenizer, dir);
        return dir;
    }

    Task<(int Code, string Output)> Run(params string[] args) => _cli.RunAsync(TimeSpan.FromMinutes(10), args);
}
