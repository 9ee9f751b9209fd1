using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace MMInterp.Client.Registry;

/// <summary>
/// Registry records as JSON for `--json` and `show`: snake_case names, enums as words, and the records' embedded
/// JSON documents (properties named *Json) inlined as objects rather than escaped strings.
/// </summary>
public static class RecordJson
{
    static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        WriteIndented = true,
    };

    public static JsonNode ToNode<T>(T record)
    {
        var node = JsonSerializer.SerializeToNode(record, Options)!;
        if (node is JsonObject obj)
            foreach (var key in obj.Select(p => p.Key).Where(k => k.EndsWith("_json", StringComparison.Ordinal)).ToList())
            {
                var text = obj[key]?.GetValue<string>();
                obj.Remove(key);
                obj[key[..^"_json".Length]] = text is null ? null : JsonNode.Parse(text);
            }
        return node;
    }

    public static string Format<T>(T record) => ToNode(record).ToJsonString(Options);

    public static string FormatList<T>(IEnumerable<T> records) => new JsonArray(records.Select(r => (JsonNode?)ToNode(r)).ToArray()).ToJsonString(Options);
}
