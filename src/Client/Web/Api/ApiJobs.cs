using System.Text.Json.Nodes;
using MMInterp.Client.Platform;
using MMInterp.Client.Platform.Submissions;
using MMInterp.Client.Registry;
using MMInterp.Client.Reports;
using MMInterp.Client.Web.Auth;
using MMInterp.Grains.Contracts.Experiments;
using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Artefacts;
using MMInterp.Silo.Work;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace MMInterp.Client.Web.Api;

/// <summary>
/// Work submitted over the API (write scope): POST /api/jobs/extract|train-sae|sweep|analyze take the CLI command's
/// options as a JSON object (snake_case) and start the job through the same <c>*Submission</c> class the command
/// uses; bad input is a one-line 400 naming the field. GET /api/jobs/{id} (read scope) follows any job, run, sweep or
/// experiment: its registry row (status, error, progress, stage), the grain's live progress while it runs, and once
/// it succeeded what it made (the activation set, the dictionary and its metrics, the sweep's points, the experiment's
/// figures grouped with their controls).
/// </summary>
public static class ApiJobs
{
    /// <summary>What a submission answers (202): the job's id and where to follow it.</summary>
    public sealed record Accepted(string Id, string Kind, string Follow);

    public static void Map(IEndpointRouteBuilder app)
    {
        // Each kind of work is read and started by JobSubmissions, the road the web form takes too.
        var submit = app.MapGroup("/api/jobs").RequireAuthorization(WebAuth.WritePolicy);
        submit.MapPost("/extract", (HttpRequest request, RegistryStore r, ArtefactStore a, WebCluster c, CancellationToken ct) =>
            SubmitAsync(JobSubmissions.Extract, request, r, a, c, ct)).Describe<ExtractRequest>("Start an extraction job (as `mminterp extract`)");
        submit.MapPost("/train-sae", (HttpRequest request, RegistryStore r, ArtefactStore a, WebCluster c, CancellationToken ct) =>
            SubmitAsync(JobSubmissions.TrainSae, request, r, a, c, ct)).Describe<TrainSaeRequest>("Start an SAE training run (as `mminterp train-sae`)");
        submit.MapPost("/sweep", (HttpRequest request, RegistryStore r, ArtefactStore a, WebCluster c, CancellationToken ct) =>
            SubmitAsync(JobSubmissions.Sweep, request, r, a, c, ct)).Describe<SweepRequest>("Start a sweep over SAE settings (as `mminterp sweep`)");
        submit.MapPost("/analyze", (HttpRequest request, RegistryStore r, ArtefactStore a, WebCluster c, CancellationToken ct) =>
            SubmitAsync(JobSubmissions.Analyze, request, r, a, c, ct)).Describe<AnalyzeRequest>("Start an analysis as an experiment (as `mminterp analyze` and the study commands)");

        app.MapGet("/api/jobs/{id}", async (RegistryStore r, WebCluster c, string id, CancellationToken ct) =>
            Results.Text((await ReportAsync(r, c, id, ct)).ToJsonString(), "application/json"))
            .WithSummary("Follow a job, run, sweep or experiment: status, error, progress, and what it made");
    }

    static async Task<IResult> SubmitAsync(string kind, HttpRequest request, RegistryStore r, ArtefactStore a, WebCluster c, CancellationToken ct)
    {
        var body = await JsonBody.ReadAsync(request, JobSubmissions.Fields(kind), ct);
        var started = await JobSubmissions.SubmitAsync(kind, body, Work(r, a, c), ct);
        return Started(started.Id, started.Kind);
    }

    /// <summary>What submitting needs, from the web server's services.</summary>
    public static WorkContext Work(RegistryStore r, ArtefactStore a, WebCluster c) => new(r, a, WorkOptions.FromEnvironment, c.ConnectAsync);

    static IResult Started(string id, string kind)
    {
        var follow = $"/api/jobs/{Uri.EscapeDataString(id)}";
        return Results.Json(new Accepted(id, kind, follow), statusCode: StatusCodes.Status202Accepted);
    }

    static RouteHandlerBuilder Describe<T>(this RouteHandlerBuilder route, string summary) where T : notnull =>
        route.Accepts<T>("application/json").Produces<Accepted>(StatusCodes.Status202Accepted).WithSummary(summary).DisableAntiforgery();

    /// <summary>The job's registry row, its live progress while it runs, and its result once it succeeded.</summary>
    public static async Task<JsonObject> ReportAsync(RegistryStore r, WebCluster cluster, string id, CancellationToken ct)
    {
        var run = await r.Runs.GetAsync(id, ct) ?? throw new KeyNotFoundException($"no job, run, sweep or experiment '{id}'");
        var report = (JsonObject)RecordJson.ToNode(run);
        IClusterClient? client = null;
        try { client = await cluster.ConnectAsync(ct); }
        catch (ClusterUnavailableException) { } // a registry-only server: the row says as much as there is
        if (client is not null && !run.IsTerminal)
        {
            if (LiveProgress.StatusAsync(client, run.Kind, id) is { } pending && await pending is { } live)
                report["live"] = LiveProgress.Json(live);
        }
        if (run.Status == RunStatus.Succeeded) report["result"] = await ResultAsync(r, client, run, ct);
        return report;
    }

    static async Task<JsonNode?> ResultAsync(RegistryStore r, IClusterClient? client, RunRecord run, CancellationToken ct)
    {
        switch (run.Kind)
        {
            case RunKind.Extraction when client is not null:
                var set = (await client.GetGrain<IExtractionJobGrain>(run.Id).Status()).ActivationSetId;
                return set is null ? null : new JsonObject { ["activation_set"] = set, ["url"] = $"/api/activation-sets/{Uri.EscapeDataString(set)}" };
            case RunKind.SaeTraining:
                var dictionary = (await r.Dictionaries.ListAsync(limit: 1000, ct: ct)).FirstOrDefault(d => d.TrainingRunId == run.Id);
                return dictionary is null ? null : new JsonObject
                {
                    ["dictionary"] = dictionary.Id, ["url"] = $"/api/dictionaries/{Uri.EscapeDataString(dictionary.Id)}",
                    ["metrics"] = JsonNode.Parse(dictionary.MetricsJson),
                };
            case RunKind.Sweep when client is not null:
                var points = await client.GetGrain<ISweepGrain>(run.Id).Results();
                return new JsonObject
                {
                    ["points"] = new JsonArray(points.OrderBy(p => p.Point).Select(p => (JsonNode)new JsonObject
                    {
                        ["run"] = p.RunId, ["setting"] = p.Label, ["status"] = p.Phase.ToString().ToLowerInvariant(),
                        ["l0"] = double.IsFinite(p.L0) ? p.L0 : null, ["fvu"] = double.IsFinite(p.Fvu) ? p.Fvu : null, ["on_front"] = p.OnFront, ["error"] = p.Error,
                    }).ToArray()),
                };
            case RunKind.Analysis:
                var experiment = await r.Experiments.GetAsync(run.Id, ct);
                if (experiment is null) return null;
                var results = JsonNode.Parse(experiment.ResultsJson) as JsonObject ?? [];
                return new JsonObject
                {
                    ["experiment"] = experiment.Id, ["url"] = $"/api/experiments/{Uri.EscapeDataString(experiment.Id)}",
                    ["figure_groups"] = FigureLayout.Of(experiment.Kind, results).GroupsJson(),
                    ["figures"] = results["figures"]?.DeepClone(),
                };
            default:
                return null;
        }
    }
}
