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
    static readonly string[] ExtractFields = ["model", "hooks", "dataset", "shards", "tokens", "id"];
    static readonly string[] TrainFields = ["activations", "hook", "kind", "d_sae", "k", "lr", "sparsity", "steps", "batch", "checkpoint_every", "seed", "id"];
    static readonly string[] SweepFields = [.. TrainFields, "grid", "random", "pack_size"];
    static readonly string[] AnalyzeFields = ["kind", "model", "dictionary", "options", "name", "id"];

    /// <summary>What a submission answers (202): the job's id and where to follow it.</summary>
    public sealed record Accepted(string Id, string Kind, string Follow);

    public static void Map(IEndpointRouteBuilder app)
    {
        var submit = app.MapGroup("/api/jobs").RequireAuthorization(WebAuth.WritePolicy);
        submit.MapPost("/extract", async (HttpRequest request, RegistryStore r, ArtefactStore a, WebCluster c, CancellationToken ct) =>
        {
            var b = await JsonBody.ReadAsync(request, ExtractFields, ct);
            var req = new ExtractRequest(b.String("model"), b.Strings("hooks") ?? throw new ArgumentException("body.hooks is required"),
                b.OptionalString("dataset") ?? ExtractRequest.DefaultDataset, b.Int("shards", 4), b.OptionalString("tokens"), b.OptionalString("id")).Validated();
            var w = Work(r, a, c);
            var spec = await ExtractSubmission.SpecAsync(w, req, ct);
            var id = req.Id ?? CliIds.New("extract");
            await ExtractSubmission.StartAsync(w, id, spec, ct);
            return Started(id, "extraction");
        }).Describe<ExtractRequest>("Start an extraction job (as `mminterp extract`)");

        submit.MapPost("/train-sae", async (HttpRequest request, RegistryStore r, ArtefactStore a, WebCluster c, CancellationToken ct) =>
        {
            var req = TrainRequest(await JsonBody.ReadAsync(request, TrainFields, ct));
            var w = Work(r, a, c);
            var prepared = await TrainingSubmission.SpecAsync(w, req, ct);
            var id = req.Id ?? CliIds.New("sae");
            await TrainingSubmission.StartAsync(w, id, prepared.Spec, ct);
            return Started(id, "sae_training");
        }).Describe<TrainSaeRequest>("Start an SAE training run (as `mminterp train-sae`)");

        submit.MapPost("/sweep", async (HttpRequest request, RegistryStore r, ArtefactStore a, WebCluster c, CancellationToken ct) =>
        {
            var b = await JsonBody.ReadAsync(request, SweepFields, ct);
            var grid = JsonBody.Of(b.Node("grid") ?? throw new ArgumentException("body.grid is required, e.g. {\"sae.K\": [\"8\", \"16\"]}"), "body.grid",
                (b.Node("grid") as JsonObject)?.Select(p => p.Key).ToList() ?? []);
            var axes = (b.Node("grid") as JsonObject)!.ToDictionary(p => p.Key, p => grid.Strings(p.Key) ?? throw new ArgumentException($"body.grid.{p.Key} has no values"));
            var req = new SweepRequest(TrainRequest(b), axes, b.Int("random", 0), b.Int("pack_size", 0));
            var id = req.Base.Id ?? CliIds.New("sweep");
            var w = Work(r, a, c);
            var prepared = await SweepSubmission.SpecAsync(w, req, id, ct);
            await SweepSubmission.StartAsync(w, id, prepared.Spec, ct);
            return Started(id, "sweep");
        }).Describe<SweepRequest>("Start a sweep over SAE settings (as `mminterp sweep`)");

        submit.MapPost("/analyze", async (HttpRequest request, RegistryStore r, ArtefactStore a, WebCluster c, CancellationToken ct) =>
        {
            var b = await JsonBody.ReadAsync(request, AnalyzeFields, ct);
            var req = new AnalyzeRequest(b.String("kind"), b.OptionalString("model"), b.OptionalString("dictionary"), b.Object("options"),
                b.OptionalString("name"), b.OptionalString("id"));
            var w = Work(r, a, c);
            var spec = await AnalysisSubmission.SpecAsync(w, req, ct);
            var id = req.Id ?? CliIds.New(spec.Kind);
            await AnalysisSubmission.StartAsync(w, id, spec, ct);
            return Started(id, "analysis");
        }).Describe<AnalyzeRequest>("Start an analysis as an experiment (as `mminterp analyze` and the study commands)");

        app.MapGet("/api/jobs/{id}", async (RegistryStore r, WebCluster c, string id, CancellationToken ct) =>
            Results.Text((await ReportAsync(r, c, id, ct)).ToJsonString(), "application/json"))
            .WithSummary("Follow a job, run, sweep or experiment: status, error, progress, and what it made");
    }

    static TrainSaeRequest TrainRequest(JsonBody b) => new(b.String("activations"), b.OptionalString("hook"), b.OptionalString("kind") ?? "topk",
        b.Int("d_sae", 512), b.Int("k", 32), b.Double("lr", 1e-3), b.Double("sparsity", 1.0), b.Long("steps", 2000), b.Int("batch", 1024),
        b.Int("checkpoint_every", 250), b.Long("seed", 0), b.OptionalString("id"));

    static WorkContext Work(RegistryStore r, ArtefactStore a, WebCluster c) => new(r, a, WorkOptions.FromEnvironment, c.ConnectAsync);

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
