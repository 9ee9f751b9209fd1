using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using MMInterp.Client.Web;
using MMInterp.Grains.Contracts.Experiments;
using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Grains.Registry;
using MMInterp.Integration.Tests.Extraction;
using MMInterp.Kernels.Analyses;
using Microsoft.AspNetCore.Builder;
using Xunit;

namespace MMInterp.Integration.Tests.Web;

/// <summary>
/// The web's live view over a real cluster (three silos) and registry: GET /api/jobs/{id} and the run page show a
/// training run's step between checkpoints with its loss, FVU and L0, and the experiment page an analysis' stage,
/// all read from the grains' status while the work runs.
/// </summary>
public sealed class LiveProgressWebTests(ExtractionCluster fx) : IClassFixture<ExtractionCluster>, IAsyncLifetime
{
    WebApplication _app = null!;
    HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        await fx.Registry.Tokens.EnsureUserAsync("live-reader");
        var read = (await fx.Registry.Tokens.CreateAsync("live-reader", [TokenScope.Read])).Token;
        _app = WebServer.Build(new WebServerOptions(Port: 0), fx.Registry, fx.Store, new WebCluster(_ => Task.FromResult(fx.Cluster.Client)));
        await _app.StartAsync();
        _client = new HttpClient { BaseAddress = WebServer.Address(_app) };
        _client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", read);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _app.DisposeAsync();
    }

    [Fact]
    public async Task TheApiAndThePagesShowLiveStepsFiguresAndStages()
    {
        var run = fx.Cluster.Client.GetGrain<ITrainingRunGrain>("run-live-web");
        await run.Start(await LiveProgressTests.LongRunSpec(fx, "ext-live-web"));
        try
        {
            var live = await Until(async () => (JsonObject)JsonNode.Parse(await _client.GetStringAsync("/api/jobs/run-live-web"))!,
                r => r["live"] is JsonObject l && (long?)l["step"] is { } step && step % LiveProgressTests.Every != 0
                     && l["fvu"] is not null && l["l0"] is not null && l["loss"] is not null, "the API's live step");
            Assert.StartsWith("step ", (string?)live["live"]!["line"]);
            await Until(async () => await _client.GetStringAsync("/runs/run-live-web"), page => page.Contains("id=\"live\"") && page.Contains("FVU "), "the run page's live line");
        }
        finally
        {
            await run.Cancel();
        }

        var experiment = fx.Cluster.Client.GetGrain<IExperimentGrain>("exp-live-web");
        await experiment.Start(new AnalysisSpec(ProbeAnalysis.Kind, "clip-e2e", null, null,
            ProbeAnalysis.OptionsJson(new ProbeOptions { Attribute = "colour,shape", TrainImages = 3000, TestImages = 1000 })));
        await Until(async () => await _client.GetStringAsync("/experiments/exp-live-web"),
            page => page.Contains("id=\"live\"") && (page.Contains("extracting") || page.Contains(" block ")), "the experiment page's stage");
        Assert.Equal(JobPhase.Succeeded, (await JobWait.UntilFinished(experiment.Status, minutes: 5)).Phase);
    }

    static async Task<T> Until<T>(Func<Task<T>> read, Func<T, bool> wanted, string what)
    {
        var deadline = DateTime.UtcNow.AddMinutes(4);
        T last;
        while (!wanted(last = await read()))
        {
            Assert.True(DateTime.UtcNow < deadline, $"{what}: not seen within 4 minutes");
            await Task.Delay(100);
        }
        return last;
    }
}
