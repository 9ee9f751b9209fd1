using System.Text.Json;
using System.Text.Json.Nodes;

namespace MMInterp.Client.Web.Features;

/// <summary>
/// A sweep's axes ("sae.K", "training.SparsityCoefficient") read from its stored spec, and each member's values on
/// them read from the member's own config, for labels such as "sae.K=16, training.SparsityCoefficient=0.5".
/// </summary>
public static class SweepAxes
{
    /// <summary>The axis names of a sweep's config (its SweepSpec as JSON); empty when it has none.</summary>
    public static IReadOnlyList<string> Of(string sweepConfigJson) =>
        Parse(sweepConfigJson)?["Axes"] is JsonObject axes ? axes.Select(a => a.Key).Order(StringComparer.Ordinal).ToList() : [];

    /// <summary>A member's value on each axis (null when its config lacks the field).</summary>
    public static IReadOnlyList<(string Axis, string? Value)> ValuesOf(IReadOnlyList<string> axes, string memberConfigJson)
    {
        var spec = Parse(memberConfigJson) as JsonObject;
        var sae = Parse(Text(spec?["SaeConfigJson"])) as JsonObject;
        var training = Parse(Text(spec?["TrainingConfigJson"])) as JsonObject;
        return axes.Select(axis =>
        {
            var dot = axis.IndexOf('.');
            var target = axis.StartsWith("sae.", StringComparison.OrdinalIgnoreCase) ? sae
                : axis.StartsWith("training.", StringComparison.OrdinalIgnoreCase) ? training : null;
            var field = dot < 0 ? axis : axis[(dot + 1)..];
            // The sweep matches fields case-insensitively ("sae.k" sets "K"), so the lookup does too.
            var value = target?.FirstOrDefault(f => string.Equals(f.Key, field, StringComparison.OrdinalIgnoreCase)).Value;
            return (axis, value is null ? null : value is JsonValue v && v.TryGetValue<string>(out var s) ? s : value.ToJsonString());
        }).ToList();
    }

    public static string Label(IReadOnlyList<(string Axis, string? Value)> values) =>
        string.Join(", ", values.Select(v => $"{v.Axis}={v.Value ?? "?"}"));

    static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    static JsonNode? Parse(string? json)
    {
        if (string.IsNullOrWhiteSpace(json)) return null;
        try { return JsonNode.Parse(json); }
        catch (JsonException) { return null; }
    }
}
