using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using MMInterp.Kernels.Extraction;
using MMInterp.Kernels.Models.Clip;

namespace MMInterp.Kernels.Analyses;

/// <summary>One layer of the per-layer CLIP study: the hook, the tokens counted, the dictionary trained there, the
/// clip-study experiment run on it and that experiment's figures (by their clip-study names).</summary>
public sealed record ClipLayerRow(string Layer, string Hook, string Tokens, string? DictionaryId, string? ExperimentId,
    IReadOnlyDictionary<string, double> Figures)
{
    /// <summary>Why the layer's study failed (its figures are then the SAE's only); null when it ran.</summary>
    public string? Error { get; init; }

    /// <summary>A figure by its clip-study name; NaN when it was not measured.</summary>
    public double this[string figure] => Figures.TryGetValue(figure, out var v) ? v : double.NaN;
}

/// <summary>
/// The per-layer CLIP study (`analyze clip-layers`): which hooks a layer list names, the table's columns (every figure
/// beside its control, all by their clip-study names, so a row's "steerable_share" is the experiment's figure of that
/// name) and the table as JSON. A figure is quoted as "{layer}.{figure}", e.g. "block1.concept_recovery",
/// "pooled.steerable_share_random".
/// </summary>
public static class ClipLayers
{
    public const string Pooled = "pooled";

    /// <summary>A measure, the figure and its controls (what the chart draws beside it).</summary>
    public sealed record Measure(string Title, string Figure, IReadOnlyList<string> Controls);

    /// <summary>The four measures of issue 18, item 3, each with its controls.</summary>
    public static IReadOnlyList<Measure> Measures { get; } =
    [
        new("concept recovery", "concept_recovery", ["concept_recovery_random_sae"]),
        // The concepts' own directions are the positive control (what a working labeller reaches), random directions the negative.
        new("free-label accuracy", "free_label_accuracy", ["free_label_accuracy_concept_directions", "free_label_accuracy_random_directions"]),
        new("steerable share", "steerable_share", ["steerable_share_random"]),
        new("typographic recovered", "typographic_recovered", ["typographic_recovered_random"]),
    ];

    /// <summary>Columns of the table after the measures: the steering ratio with its 95% interval, what the typographic
    /// figures rest on and the SAE's fit.</summary>
    public static IReadOnlyList<string> Context { get; } =
        ["steerable_ratio_to_random", "steerable_ratio_low", "steerable_ratio_high", "typographic_attack_drop", "typographic_reading_drop", "typographic_clean_cost", "typographic_clean_cost_random", "sae_l0", "sae_fvu"];

    /// <summary>Every column, in table order.</summary>
    public static IReadOnlyList<string> Columns { get; } = Measures.SelectMany(m => m.Controls.Prepend(m.Figure)).Concat(Context).ToList();

    /// <summary>The short name of a hook's layer: "block{i}" for vision.blocks.{i}.*, "pooled" for the pooled output.</summary>
    public static string LayerName(string hook) =>
        hook == ClipVisionTransformer.PooledHook ? Pooled
        : ClipStudyAnalysis.LayerOf(hook) is { } i ? string.Create(CultureInfo.InvariantCulture, $"block{i}") : hook;

    /// <summary>The hooks a layer list names on a tower of <paramref name="blocks"/> blocks: "all" (every block's
    /// resid_post, then the pooled output) or a comma list of block indices, "pooled" and full vision hook names. With
    /// patch tokens the pooled output (one class token) has nothing to count: "all" leaves it out (said in
    /// <paramref name="note"/>), naming it is an error. Bad entries are one line naming the valid forms.</summary>
    public static IReadOnlyList<string> Hooks(string layers, int blocks, TokenSelection tokens, out string? note)
    {
        note = null;
        if (blocks < 1) throw new ArgumentException($"the vision tower has {blocks} blocks");
        var text = (layers ?? "").Trim();
        if (text.Length == 0) throw new ArgumentException("layers is empty; use all or a list such as 0,1,pooled");
        List<string> hooks;
        if (text.Equals("all", StringComparison.OrdinalIgnoreCase))
        {
            hooks = Enumerable.Range(0, blocks).Select(Block).ToList();
            if (tokens == TokenSelection.Patch) note = "the pooled output is the class token alone: with patch tokens it is left out";
            else hooks.Add(ClipVisionTransformer.PooledHook);
            return hooks;
        }
        hooks = [];
        foreach (var raw in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            string hook;
            if (raw.Equals(Pooled, StringComparison.OrdinalIgnoreCase)) hook = ClipVisionTransformer.PooledHook;
            else if (int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var i))
                hook = i < blocks ? Block(i) : throw new ArgumentException($"layer {i} is not a block of this tower (0..{blocks - 1}); use all, block indices or pooled");
            else if (raw.StartsWith("vision.", StringComparison.Ordinal)) hook = raw;
            else throw new ArgumentException($"layer '{raw}' is not a block index, pooled or a vision hook name; use e.g. all or 0,1,pooled");
            if (hook == ClipVisionTransformer.PooledHook && tokens == TokenSelection.Patch)
                throw new ArgumentException("layer pooled is the class token alone: tokens patch selects nothing there; drop it or use tokens all or cls");
            if (hooks.Contains(hook)) throw new ArgumentException($"layer '{raw}' is named twice");
            hooks.Add(hook);
        }
        if (hooks.Count == 0) throw new ArgumentException("layers is empty; use all or a list such as 0,1,pooled");
        return hooks;
    }

    static string Block(int i) => string.Create(CultureInfo.InvariantCulture, $"vision.blocks.{i}.hook_resid_post");

    /// <summary>The table as JSON: the columns, one object per layer, every figure flat as "{layer}.{figure}", and
    /// <paramref name="settings"/> (what the run was asked for, to repeat it).</summary>
    public static string ToJson(IReadOnlyList<ClipLayerRow> rows, string modelId, string? activationSetId, JsonObject? settings = null)
    {
        static JsonNode? Number(double v) => double.IsFinite(v) ? JsonValue.Create(v) : null;
        var flat = new JsonObject();
        var table = new JsonArray();
        foreach (var row in rows)
        {
            var figures = new JsonObject();
            foreach (var c in Columns)
            {
                figures[c] = Number(row[c]);
                flat[$"{row.Layer}.{c}"] = Number(row[c]);
            }
            table.Add(new JsonObject
            {
                ["layer"] = row.Layer, ["hook"] = row.Hook, ["tokens"] = row.Tokens, ["dictionary"] = row.DictionaryId,
                ["experiment"] = row.ExperimentId, ["figures"] = figures, ["error"] = row.Error,
            });
        }
        var root = new JsonObject
        {
            ["model"] = modelId, ["activation_set"] = activationSetId, ["settings"] = settings?.DeepClone(),
            ["columns"] = new JsonArray(Columns.Select(c => (JsonNode)JsonValue.Create(c)).ToArray()),
            ["controls"] = new JsonObject(Measures.Select(m => KeyValuePair.Create(m.Figure,
                (JsonNode?)new JsonArray(m.Controls.Select(c => (JsonNode)JsonValue.Create(c)).ToArray())))),
            ["layers"] = table, ["figures"] = flat,
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }
}
