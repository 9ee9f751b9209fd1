using System.Text.Json.Nodes;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Analyses;
using Xunit;
using Xunit.Abstractions;

namespace MMInterp.Client.Tests.Studies;

/// <summary>
/// `mminterp analyze clip-layers` as users run it, on a 2-block CLIP directory (untrained, fixed seed) and the embedded
/// default: one extraction job for both layers (class token only, so each image is one row), one SAE and one clip-study
/// experiment per layer, and a table with one row per layer whose figures are the experiments' own.
/// </summary>
public sealed class ClipLayersCommandTests(ITestOutputHelper output) : IAsyncLifetime
{
    readonly EmbeddedCli _cli = new("layers");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _cli.DisposeAsync();

    [Fact]
    public async Task EveryLayerGetsItsSaeItsExperimentAndARowOfTheTable()
    {
        var model = StudyCommandExperimentTests.WriteClip(Path.Combine(_cli.Home, "tiny-clip"));
        var outDir = Path.Combine(_cli.Home, "layers");
        var bad = await _cli.RunAsync(TimeSpan.FromMinutes(2), "analyze", "clip-layers", "--model", model, "--tokens", "middle");
        Assert.NotEqual(0, bad.Code);
        Assert.Contains("all, patch, cls", bad.Output);

        var run = await _cli.RunAsync(TimeSpan.FromMinutes(10), "analyze", "clip-layers", "--model", model, "--layers", "1,pooled", "--tokens", "cls",
            "--train-images", "64", "--sae-steps", "20", "--sae-width", "2", "--sae-seed", "3", "--out", outDir,
            "--images", "32", "--dashboards", "1", "--steer-features", "4", "--steer-images", "8",
            "--typographic-images", "16", "--typographic-calibration-images", "16", "--typographic-candidates", "4", "--top-k-text", "2");
        output.WriteLine(run.Output);
        Assert.True(run.Code == 0, run.Output);

        var table = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(outDir, "clip-layers.json")))!;
        var rows = table["layers"]!.AsArray();
        Assert.Equal(["block1", "pooled"], rows.Select(r => r!["layer"]!.GetValue<string>()));
        Assert.All(rows, r => Assert.Equal("cls", r!["tokens"]!.GetValue<string>()));
        Assert.True(new FileInfo(Path.Combine(outDir, "clip-layers.png")).Length > 1000, "the chart was not written");

        await using var registry = RegistryStore.Create(_cli.ConnectionString);
        // One extraction over both hooks, recorded with its token selection: one row per image per hook.
        var set = Assert.Single(await registry.ActivationSets.ListAsync());
        Assert.Equal(["vision.blocks.1.hook_resid_post", "vision.hook_pooled"], set.HookPoints);
        Assert.Equal(Kernels.Extraction.TokenSelection.Cls, set.Tokens());
        Assert.Equal(64, set.RowCount);
        var experiments = await registry.Experiments.ListAsync();
        Assert.Equal(2, experiments.Count);
        foreach (var row in rows)
        {
            var experiment = Assert.Single(experiments, e => e.Id == row!["experiment"]!.GetValue<string>());
            Assert.Equal(ClipStudyAnalysis.Kind, experiment.Kind);
            var results = JsonNode.Parse(experiment.ResultsJson)!;
            // The study counted the dictionary's tokens, and the table holds the experiment's figures and controls.
            Assert.Equal("cls", results["notes"]!["tokens"]!.GetValue<string>());
            foreach (var figure in new[] { "concept_recovery", "concept_recovery_random_sae", "steerable_share", "steerable_share_random" })
                Assert.Equal(results["figures"]![figure]!.GetValue<double>(), row!["figures"]![figure]!.GetValue<double>(), 9);
            Assert.Equal(row!["figures"]!["concept_recovery"]!.GetValue<double>(),
                table["figures"]![$"{row["layer"]!.GetValue<string>()}.concept_recovery"]!.GetValue<double>(), 9);
        }
        Assert.Contains("block1", run.Output);
        Assert.Contains("vs steerable_share_random", run.Output);
        Assert.Contains("vs free_label_accuracy_concept_directions", run.Output);
    }
}
