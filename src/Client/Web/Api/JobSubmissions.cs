using System.Text.Json.Nodes;
using MMInterp.Client.Platform;
using MMInterp.Client.Platform.Submissions;

namespace MMInterp.Client.Web.Api;

/// <summary>
/// A kind of work (extract, train-sae, sweep, analyze) described as a JSON object of the CLI command's options
/// (snake_case), read field by field (<see cref="JsonBody"/>) and started through the same <c>*Submission</c> class
/// the command uses. The JSON API (<see cref="ApiJobs"/>) and the web form (<c>SubmitPage</c>, which turns its form
/// into such an object) both come here, so a request is refused for the same reason in the same words on every surface.
/// </summary>
public static class JobSubmissions
{
    public const string Extract = "extract", TrainSae = "train-sae", Sweep = "sweep", Analyze = "analyze";
    public static readonly IReadOnlyList<string> Kinds = [Extract, TrainSae, Sweep, Analyze];

    static readonly string[] ExtractFields = ["model", "hooks", "dataset", "shards", "tokens", "id"];
    static readonly string[] TrainFields = ["activations", "hook", "kind", "d_sae", "k", "lr", "sparsity", "steps", "batch", "checkpoint_every", "seed", "id"];
    static readonly string[] SweepFields = [.. TrainFields, "grid", "random", "pack_size"];
    static readonly string[] AnalyzeFields = ["kind", "model", "dictionary", "options", "name", "id"];

    /// <summary>The fields each kind of work takes; any other is refused.</summary>
    public static IReadOnlyList<string> Fields(string kind) => kind switch
    {
        Extract => ExtractFields,
        TrainSae => TrainFields,
        Sweep => SweepFields,
        Analyze => AnalyzeFields,
        _ => throw new KeyNotFoundException($"no kind of work '{kind}'; known: {string.Join(", ", Kinds)}"),
    };

    /// <summary>What was started: the job's id and its registry kind (extraction, sae_training, sweep, analysis).</summary>
    public sealed record Started(string Id, string Kind);

    /// <summary>Checks the request as the command would and starts the job; bad input throws ArgumentException (one line).</summary>
    public static Task<Started> SubmitAsync(string kind, JsonBody body, WorkContext w, CancellationToken ct) => kind switch
    {
        Extract => ExtractAsync(body, w, ct),
        TrainSae => TrainAsync(body, w, ct),
        Sweep => SweepAsync(body, w, ct),
        Analyze => AnalyzeAsync(body, w, ct),
        _ => throw new KeyNotFoundException($"no kind of work '{kind}'; known: {string.Join(", ", Kinds)}"),
    };

    static async Task<Started> ExtractAsync(JsonBody b, WorkContext w, CancellationToken ct)
    {
        var req = new ExtractRequest(b.String("model"), b.Strings("hooks") ?? throw new ArgumentException($"{b.Where}.hooks is required"),
            b.OptionalString("dataset") ?? ExtractDefaults.Dataset, b.Int("shards", ExtractDefaults.Shards), b.OptionalString("tokens"), b.OptionalString("id")).Validated();
        var spec = await ExtractSubmission.SpecAsync(w, req, ct);
        var id = req.Id ?? CliIds.New("extract");
        await ExtractSubmission.StartAsync(w, id, spec, ct);
        return new Started(id, "extraction");
    }

    static async Task<Started> TrainAsync(JsonBody b, WorkContext w, CancellationToken ct)
    {
        var req = TrainRequest(b);
        var prepared = await TrainingSubmission.SpecAsync(w, req, ct);
        var id = req.Id ?? CliIds.New("sae");
        await TrainingSubmission.StartAsync(w, id, prepared.Spec, ct);
        return new Started(id, "sae_training");
    }

    static async Task<Started> SweepAsync(JsonBody b, WorkContext w, CancellationToken ct)
    {
        var node = b.Node("grid") ?? throw new ArgumentException($"{b.Where}.grid is required, e.g. {{\"sae.K\": [\"8\", \"16\"]}}");
        var grid = JsonBody.Of(node, $"{b.Where}.grid", (node as JsonObject)?.Select(p => p.Key).ToList() ?? []);
        var axes = ((JsonObject)node).ToDictionary(p => p.Key, p => grid.Strings(p.Key) ?? throw new ArgumentException($"{b.Where}.grid.{p.Key} has no values"));
        var req = new SweepRequest(TrainRequest(b), axes, b.Int("random", 0), b.Int("pack_size", 0));
        var id = req.Base.Id ?? CliIds.New("sweep");
        var prepared = await SweepSubmission.SpecAsync(w, req, id, ct);
        await SweepSubmission.StartAsync(w, id, prepared.Spec, ct);
        return new Started(id, "sweep");
    }

    static async Task<Started> AnalyzeAsync(JsonBody b, WorkContext w, CancellationToken ct)
    {
        var req = new AnalyzeRequest(b.String("kind"), b.OptionalString("model"), b.OptionalString("dictionary"), b.Object("options"),
            b.OptionalString("name"), b.OptionalString("id"));
        var spec = await AnalysisSubmission.SpecAsync(w, req, ct);
        var id = req.Id ?? CliIds.New(spec.Kind);
        await AnalysisSubmission.StartAsync(w, id, spec, ct);
        return new Started(id, "analysis");
    }

    /// <summary>The defaults of what a field left out means (the record's own, as the CLI's): the web form shows them as placeholders.</summary>
    public static readonly TrainSaeRequest TrainDefaults = new("");
    public static readonly ExtractRequest ExtractDefaults = new("", []);

    static TrainSaeRequest TrainRequest(JsonBody b)
    {
        var d = TrainDefaults;
        return new(b.String("activations"), b.OptionalString("hook"), b.OptionalString("kind") ?? d.Kind, b.Int("d_sae", d.DSae), b.Int("k", d.K),
            b.Double("lr", d.Lr), b.Double("sparsity", d.Sparsity), b.Long("steps", d.Steps), b.Int("batch", d.Batch),
            b.Int("checkpoint_every", d.CheckpointEvery), b.Long("seed", d.Seed), b.OptionalString("id"));
    }
}
