using System.Globalization;
using MMInterp.Client.Web.Api;
using MMInterp.Kernels.Analyses;

namespace MMInterp.Client.Web.Pages;

/// <summary>How a field of a kind of work is typed into the web form.</summary>
public enum FieldInput
{
    /// <summary>Text, sent as a JSON string.</summary>
    Text,
    /// <summary>A number as typed; sent as a JSON number when it reads as one, else as the text (so the submission road names the field).</summary>
    Number,
    /// <summary>Comma-separated values (hooks), as the CLI option takes them.</summary>
    List,
    /// <summary>Sweep axes, one a line as the CLI's --grid takes them: sae.K=8,16.</summary>
    Grid,
    /// <summary>A JSON object (an analysis' options).</summary>
    Json,
}

/// <summary>One field of a submit form: its name is the JSON API's (snake_case), the placeholder shows what leaving it
/// empty means, the suggestions list is a &lt;datalist&gt; of registered ids or known values.</summary>
public sealed record SubmitField(string Name, string Label, FieldInput Input, string Placeholder, string? Suggestions = null, bool Required = false);

/// <summary>The web form of each kind of work: the fields <see cref="JobSubmissions"/> reads, in the CLI's order, with the
/// defaults of the request records as placeholders (so the page and the API mean the same by an empty field).</summary>
public static class SubmitFields
{
    /// <summary>Datalist ids the page fills: registered models, activation sets, dictionaries; SAE and analysis kinds.</summary>
    public const string Models = "models-list", ActivationSets = "activation-sets-list", Dictionaries = "dictionaries-list",
        SaeKinds = "sae-kinds-list", AnalysisKinds = "analysis-kinds-list";

    public static readonly IReadOnlyList<string> SaeKindNames = ["relu", "topk", "batchtopk", "jumprelu"];

    static string N(double v) => v.ToString(CultureInfo.InvariantCulture);

    static IReadOnlyList<SubmitField> Train()
    {
        var d = JobSubmissions.TrainDefaults;
        return
        [
            new("activations", "activation set", FieldInput.Text, "a registered activation set id", ActivationSets, Required: true),
            new("hook", "hook point", FieldInput.Text, "(the set's first)"),
            new("kind", "architecture", FieldInput.Text, d.Kind, SaeKinds),
            new("d_sae", "dictionary width", FieldInput.Number, N(d.DSae)),
            new("k", "k (top-k)", FieldInput.Number, N(d.K)),
            new("lr", "learning rate", FieldInput.Number, N(d.Lr)),
            new("sparsity", "sparsity coefficient", FieldInput.Number, N(d.Sparsity)),
            new("steps", "steps", FieldInput.Number, N(d.Steps)),
            new("batch", "batch", FieldInput.Number, N(d.Batch)),
            new("checkpoint_every", "checkpoint every", FieldInput.Number, N(d.CheckpointEvery)),
            new("seed", "seed", FieldInput.Number, N(d.Seed)),
        ];
    }

    static readonly SubmitField Id = new("id", "job id", FieldInput.Text, "(generated)");

    public static IReadOnlyList<SubmitField> Of(string kind) => kind switch
    {
        JobSubmissions.Extract =>
        [
            new("model", "model", FieldInput.Text, "a registered model id or name", Models, Required: true),
            new("hooks", "hook points", FieldInput.List, "comma-separated, e.g. vision.blocks.1.hook_resid_post", Required: true),
            new("dataset", "dataset", FieldInput.Text, JobSubmissions.ExtractDefaults.Dataset),
            new("shards", "shards", FieldInput.Number, N(JobSubmissions.ExtractDefaults.Shards)),
            new("tokens", "tokens", FieldInput.Text, "(the default selection)"),
            Id,
        ],
        JobSubmissions.TrainSae => [.. Train(), Id],
        JobSubmissions.Sweep =>
        [
            .. Train(),
            new("grid", "grid (one axis a line)", FieldInput.Grid, "sae.K=8,16\nsae.DSae=256,512", Required: true),
            new("random", "random draws", FieldInput.Number, "0 (the whole grid)"),
            new("pack_size", "pack size", FieldInput.Number, "0 (the default)"),
            Id,
        ],
        JobSubmissions.Analyze =>
        [
            new("kind", "analysis", FieldInput.Text, string.Join(", ", AnalysisCatalog.Kinds.Take(3)) + ", ...", AnalysisKinds, Required: true),
            new("dictionary", "dictionary", FieldInput.Text, "a registered dictionary id (its model and hook come with it)", Dictionaries),
            new("model", "model", FieldInput.Text, "a registered model id (without a dictionary)", Models),
            new("options", "options (JSON object)", FieldInput.Json, "{}"),
            new("name", "name", FieldInput.Text, "(the analysis kind)"),
            Id,
        ],
        _ => throw new KeyNotFoundException($"no kind of work '{kind}'; known: {string.Join(", ", JobSubmissions.Kinds)}"),
    };

    public static string Title(string kind) => kind switch
    {
        JobSubmissions.Extract => "Extract activations",
        JobSubmissions.TrainSae => "Train an SAE",
        JobSubmissions.Sweep => "Sweep SAE settings",
        JobSubmissions.Analyze => "Run an analysis",
        _ => kind,
    };

    public static string Command(string kind) => kind switch
    {
        JobSubmissions.Analyze => "mminterp analyze",
        _ => "mminterp " + kind,
    };
}
