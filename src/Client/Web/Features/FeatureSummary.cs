using System.Text.Json.Nodes;
using MMInterp.Grains.Contracts.Experiments;
using MMInterp.Grains.Registry;

namespace MMInterp.Client.Web.Features;

public sealed record ScoredLabel(string Label, double? Score);

public sealed record SteeringResult(string? Target, double? DeltaProb, double? FlipShare, bool? Steerable);

/// <summary>
/// One feature's stats row read leniently: every key of the contract is optional and a value of the wrong type is
/// treated as absent, so a half-finished analysis still renders. <see cref="Labels"/> come from the labels table.
/// </summary>
public sealed record FeatureSummary(
    int Index,
    int? Layer,
    string? Hook,
    double? Density,
    double? MeanActivation,
    double? MaxActivation,
    string? Concept,
    double? Auroc,
    IReadOnlyList<ScoredLabel> FreeLabels,
    SteeringResult? Steering,
    bool? TextReading,
    IReadOnlyDictionary<string, string> Images,
    IReadOnlyList<LabelRecord> Labels)
{
    /// <summary>Label methods in the order a person trusts them most; scores are not comparable across methods.</summary>
    static readonly LabelMethod[] Preference = [LabelMethod.Manual, LabelMethod.Steering, LabelMethod.FreeLabel, LabelMethod.AutoInterp, LabelMethod.GroundTruth];

    /// <summary>The label shown in tables: the best-scored label of the most trusted method, else the top free label in the
    /// stats. The registry keeps the same choice on the feature row (migration 0130) to sort by it.</summary>
    public string? BestLabel => Best?.Label ?? FreeLabels.FirstOrDefault()?.Label;

    /// <summary>The method of <see cref="BestLabel"/>, shown beside it so a manual label never passes for a measured one.</summary>
    public LabelMethod? BestLabelMethod => Best?.Method ?? (FreeLabels.Count > 0 ? LabelMethod.FreeLabel : null);

    LabelRecord? Best => Preference.Select(m => Labels.Where(l => l.Method == m).OrderByDescending(l => l.Score).ThenBy(l => l.Label, StringComparer.Ordinal).FirstOrDefault())
        .FirstOrDefault(l => l is not null);

    public static FeatureSummary From(FeatureRecord row, IReadOnlyList<LabelRecord> labels) => Parse(row.Index, row.StatsJson, labels);

    public static FeatureSummary Parse(int index, string statsJson, IReadOnlyList<LabelRecord> labels)
    {
        JsonObject stats;
        try
        {
            stats = JsonNode.Parse(statsJson) as JsonObject ?? [];
        }
        catch (System.Text.Json.JsonException)
        {
            stats = [];
        }
        var truth = stats["ground_truth"] as JsonObject;
        var steering = stats["steering"] as JsonObject;
        var free = (stats["free_labels"] as JsonArray ?? [])
            .OfType<JsonObject>()
            .Select(o => Str(o["label"]) is { } l ? new ScoredLabel(l, Dbl(o["score"])) : null)
            .OfType<ScoredLabel>()
            .ToList();
        var images = (stats["images"] as JsonObject ?? [])
            .Select(p => (p.Key, Sha: Str(p.Value)))
            .Where(p => p.Sha is { } s && IsSha(s))
            .ToDictionary(p => p.Key, p => p.Sha!, StringComparer.Ordinal);
        return new FeatureSummary(
            index,
            Dbl(stats["layer"]) is { } layer && layer == Math.Floor(layer) && Math.Abs(layer) < int.MaxValue ? (int)layer : null,
            Str(stats["hook"]),
            Dbl(stats["density"]),
            Dbl(stats["mean_activation"]),
            Dbl(stats["max_activation"]),
            Str(truth?["concept"]),
            Dbl(truth?["auroc"]),
            free,
            steering is null ? null : new SteeringResult(Str(steering["target"]), Dbl(steering["delta_prob"]), Dbl(steering["flip_share"]), Bool(steering["steerable"])),
            Bool(stats["text_reading"]),
            images,
            labels);
    }

    public static bool IsSha(string s) => s.Length == 64 && s.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');

    static string? Str(JsonNode? n) => n is JsonValue v && v.TryGetValue<string>(out var s) && !string.IsNullOrWhiteSpace(s) ? s : null;

    static double? Dbl(JsonNode? n) => n is JsonValue v && v.TryGetValue<double>(out var d) && double.IsFinite(d) ? d : null;

    static bool? Bool(JsonNode? n) => n is JsonValue v && v.TryGetValue<bool>(out var b) ? b : null;
}
