using System.Text.Json;
using System.Text.Json.Nodes;
using MMInterp.Kernels.IO;

namespace MMInterp.Kernels.Checkpoints;

/// <summary>Typed reads of HF config.json fields with HF's defaults: a wrong JSON type or a non-finite number is an
/// ArgumentException naming the field (callers prefix the file).</summary>
public static class ConfigFields
{
    public static int Int(JsonObject o, string key, int fallback) => IntOrNull(o, key) ?? fallback;

    public static int? IntOrNull(JsonObject o, string key)
    {
        if (o[key] is null) return null;
        var d = Number(o, key);
        if (d != Math.Floor(d) || d is < int.MinValue or > int.MaxValue) throw new ArgumentException($"{key} must be an integer, got {d}", key);
        return (int)d;
    }

    public static double Double(JsonObject o, string key, double fallback) => o[key] is null ? fallback : Number(o, key);

    public static bool Bool(JsonObject o, string key, bool fallback)
    {
        var node = o[key];
        if (node is null) return fallback;
        if (node is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False) return v.GetValue<bool>();
        throw new ArgumentException($"{key} must be true or false, got {JsonFiles.Quote(node)}", key);
    }

    public static string? String(JsonObject o, string key)
    {
        var node = o[key];
        if (node is null) return null;
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.String) return v.GetValue<string>();
        throw new ArgumentException($"{key} must be a string, got {JsonFiles.Quote(node)}", key);
    }

    /// <summary>An integer or a list of integers (eos_token_id in Llama 3 configs); empty when absent or null.</summary>
    public static IReadOnlyList<int> IntList(JsonObject o, string key)
    {
        if (o[key] is not JsonArray a) return IntOrNull(o, key) is int single ? [single] : [];
        var list = new List<int>();
        for (var i = 0; i < a.Count; i++)
        {
            var item = new JsonObject { [key] = a[i]?.DeepClone() };
            list.Add(IntOrNull(item, key) ?? throw new ArgumentException($"{key}[{i}] must be an integer, got null", key));
        }
        return list;
    }

    /// <summary>A finite JSON number: 1e400 (infinite as a double) and NaN spelled as a string are refused by name.</summary>
    public static double Number(JsonObject o, string key)
    {
        var node = o[key];
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.Number)
        {
            // A value built in memory (an int, a float) is not readable as a double; its JSON text always is.
            var d = v.TryGetValue<double>(out var read) ? read : double.Parse(v.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture);
            return double.IsFinite(d) ? d : throw new ArgumentException($"{key} must be a finite number, got {v.ToJsonString()}", key);
        }
        throw new ArgumentException($"{key} must be a number, got {JsonFiles.Quote(node)}", key);
    }
}
