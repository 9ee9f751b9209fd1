using MMInterp.Client.Tests.Studies;
using MMInterp.Grains.Registry;
using MMInterp.Silo.Storage;
using Xunit;

namespace MMInterp.Client.Tests.Platform;

/// <summary>
/// Two `mminterp` processes on the embedded default asking for the same extraction job, then the same training run, at
/// the same time: every process is a client of the machine's one local silo, so each job runs once and both commands
/// follow it to the one result. Before, each process hosted a silo of its own over the shared grain state, and both
/// ran the job (ETag conflicts, twice the metric rows).
/// </summary>
public sealed class LocalSiloTests : IAsyncLifetime
{
    readonly EmbeddedCli _cli = new("local-silo");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _cli.DisposeAsync();

    [Fact]
    public async Task TheSameJobStartedFromTwoProcessesRunsOnceAndBothGetItsResult()
    {
        var clip = StudyCommandExperimentTests.WriteClip(Path.Combine(_cli.Home, "tiny-clip"));
        var add = await Run("models", "add", clip, "--family", "clip", "--name", "tiny");
        Assert.True(add.Code == 0, add.Output);
        await using var registry = RegistryStore.Create(_cli.ConnectionString);
        var model = Assert.Single(await registry.Models.ListAsync());

        string[] extract = ["extract", "--model", model.Id, "--hooks", "vision.blocks.0.hook_resid_post", "--dataset", "shapes:train:512", "--shards", "2", "--job", "ext-twice"];
        var both = await Task.WhenAll(Run(extract), Run(extract));
        foreach (var r in both)
        {
            Assert.True(r.Code == 0, r.Output);
            Assert.Contains("activation set actset-ext-twice:", r.Output);
        }
        var set = Assert.Single(await registry.ActivationSets.ListAsync());
        Assert.True(set.RowCount > 0 && set.RowCount % 512 == 0, $"{set.RowCount} rows for 512 images (the same tokens per image)");

        string[] train = ["train-sae", "--activations", set.Id, "--d-sae", "64", "--k", "4", "--steps", "200", "--batch", "64", "--checkpoint-every", "50", "--run", "sae-twice"];
        var trained = await Task.WhenAll(Run(train), Run(train));
        foreach (var r in trained) Assert.True(r.Code == 0, r.Output);
        var line = trained.Select(r => r.Output.Split('\n').Single(l => l.StartsWith("dictionary sae-twice:", StringComparison.Ordinal))).ToList();
        Assert.Equal(line[0], line[1]);

        // One execution: every metric series holds each logged step once (200 steps, logged every 10th).
        var series = await registry.Metrics.SummariseAsync("sae-twice");
        Assert.NotEmpty(series);
        foreach (var s in series)
        {
            var points = await registry.Metrics.ReadAsync("sae-twice", s.Name);
            Assert.Equal(points.Count, points.Select(p => p.Step).Distinct().Count());
            Assert.Equal(20, points.Count);
        }
        // And one local silo served both processes.
        Assert.Single(Directory.GetFiles(Path.Combine(_cli.Home, "silo"), "*.json"));
    }

    Task<(int Code, string Output)> Run(params string[] args) => _cli.RunAsync(TimeSpan.FromMinutes(10), args);
}
