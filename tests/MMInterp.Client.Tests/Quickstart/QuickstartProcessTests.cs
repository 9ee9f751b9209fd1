using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using MMInterp.Grains.Registry;
using MMInterp.Silo.Storage;
using Xunit;

namespace MMInterp.Client.Tests.Quickstart;

/// <summary>
/// The README's main job, as a user runs it: the `mminterp` program on the embedded default (its own PostgreSQL,
/// an in-process silo), with every location redirected to temp directories. Quick configuration; real everything.
/// </summary>
public sealed class QuickstartProcessTests : IAsyncLifetime
{
    readonly EmbeddedCli _cli = new("qs");
    string _home => _cli.Home;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _cli.DisposeAsync();

    [Fact]
    public async Task QuickstartRunsEndToEndThenReusesTheCachedModel()
    {
        var report = Path.Combine(_home, "report");
        var first = await Run("quickstart", "--quick", "--out", report);
        Assert.True(first.Code == 0, first.Output);
        var text = await File.ReadAllTextAsync(Path.Combine(report, "report.md"));
        Assert.Contains("zero-shot colour", text);
        Assert.Contains("activation set `actset-", text);
        Assert.Contains("SAE `sae-", text);
        Assert.True(new FileInfo(Path.Combine(report, "shapes-grid.png")).Length > 1000);
        Assert.True(new FileInfo(Path.Combine(report, "sae-fvu.png")).Length > 1000);
        // The whole CLIP path: the study's figures beside their controls, and its pictures next to the HTML report.
        var html = await File.ReadAllTextAsync(Path.Combine(report, "report.html"));
        foreach (var figure in new[] { "concept_recovery", "free_label_accuracy", "steerable_share", "typographic_attack_drop" })
            Assert.Contains($"<code>{figure}</code>", html);
        Assert.Contains("SAE inserted, nothing clamped", html);
        foreach (var picture in new[] { "concept_recovery.png", "steering.png", "typographic.png" })
        {
            Assert.Contains($"src=\"{picture}\"", html);
            Assert.True(new FileInfo(Path.Combine(report, picture)).Length > 1000, picture);
        }
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(report, "features"), "feature_*_top_examples.png"));

        await using (var registry = RegistryStore.Create(_cli.ConnectionString))
        {
            var dictionaries = await registry.Dictionaries.ListAsync();
            var dictionary = Assert.Single(dictionaries);
            var model = await registry.Models.GetAsync(dictionary.ModelId);
            Assert.NotNull(model);
            Assert.StartsWith("clip-tiny-", model.Id);
        }

        var status = await Run("status");
        Assert.True(status.Code == 0, status.Output);
        Assert.Contains("succeeded", status.Output);

        var second = await Run("quickstart", "--quick", "--out", report);
        Assert.True(second.Code == 0, second.Output);
        Assert.Contains("(cached)", second.Output);
    }

    [Fact]
    public async Task UnknownModelIsOneClearLineAndANonZeroExit()
    {
        var result = await Run("extract", "--model", "no-such-model", "--hooks", "vision.blocks.0.hook_resid_post");
        Assert.NotEqual(0, result.Code);
        Assert.Contains("error: model 'no-such-model' is not registered", result.Output);
        Assert.DoesNotContain("   at ", result.Output);
    }

    Task<(int Code, string Output)> Run(params string[] args) => _cli.RunAsync(TimeSpan.FromMinutes(15), args);
}
