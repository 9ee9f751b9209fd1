using System.Text.Json.Nodes;
using MMInterp.Client.Platform;
using MMInterp.Grains.Contracts.Experiments;
using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Grains.Registry;
using static MMInterp.Client.Web.Rendering.Html;

namespace MMInterp.Client.Web.Api;

/// <summary>
/// What a running job, run, sweep or experiment is doing now, from its grain's status (grain memory: a training's
/// step and that step's loss, FVU and L0; an analysis' stage), for GET /api/jobs/{id} and the run and experiment
/// pages. The registry row only moves at checkpoints and stage records; this is the live view beside it.
/// </summary>
public static class LiveProgress
{
    /// <summary>A page or an API answer does not wait long for a busy or unreachable grain.</summary>
    static readonly TimeSpan Wait = TimeSpan.FromSeconds(2);

    /// <summary>The grain's status, or null when there is no cluster, the kind has no grain, or it did not answer in time.</summary>
    public static async Task<JobProgress?> ReadAsync(WebCluster cluster, RunKind kind, string id, CancellationToken ct)
    {
        try
        {
            var client = await cluster.ConnectAsync(ct).WaitAsync(Wait, ct);
            var status = StatusAsync(client, kind, id);
            return status is null ? null : await status.WaitAsync(Wait, ct);
        }
        catch (Exception) when (!ct.IsCancellationRequested)
        {
            // No cluster, a grain slow to answer or a silo going away: the live line is informative, the registry row
            // says as much as there is.
            return null;
        }
    }

    /// <summary>The grain that answers for a registry row of this kind.</summary>
    public static Task<JobProgress>? StatusAsync(IClusterClient client, RunKind kind, string id) => kind switch
    {
        RunKind.Extraction => client.GetGrain<IExtractionJobGrain>(id).Status(),
        RunKind.SaeTraining => client.GetGrain<ITrainingRunGrain>(id).Status(),
        RunKind.Sweep => client.GetGrain<ISweepGrain>(id).Status(),
        RunKind.Analysis => client.GetGrain<IExperimentGrain>(id).Status(),
        _ => null,
    };

    /// <summary>The "live" object of GET /api/jobs/{id}: phase, done/total, the stage (note), and for a training its
    /// step, steps, loss, FVU and L0 (null when not finite).</summary>
    public static JsonObject Json(JobProgress p)
    {
        var o = new JsonObject
        {
            ["phase"] = p.Phase.ToString().ToLowerInvariant(), ["done"] = p.Done, ["total"] = p.Total, ["note"] = p.Note,
            ["stage"] = p.Note, ["error"] = p.Error, ["line"] = ProgressLine.Of(p),
        };
        if (p.Live is { } l)
        {
            o["step"] = l.Step;
            o["steps"] = l.Steps;
            o["loss"] = Finite(l.Loss);
            o["fvu"] = Finite(l.Fvu);
            o["l0"] = Finite(l.L0);
        }
        return o;
    }

    /// <summary>One paragraph for a page ("live: step 312/2000 loss ... FVU ... L0 ..."), empty when there is nothing live.</summary>
    public static string Html(JobProgress? p) =>
        p is null || p.Finished ? "" : $"<p id=\"live\" class=\"muted\">live: {E(ProgressLine.Of(p))}</p>";

    /// <summary>The live paragraph of a registry row still running (empty for a finished one, without a query).</summary>
    public static async Task<string> HtmlAsync(WebCluster cluster, RunKind kind, string id, bool terminal, CancellationToken ct) =>
        terminal ? "" : Html(await ReadAsync(cluster, kind, id, ct));

    static double? Finite(double v) => double.IsFinite(v) ? v : null;
}
