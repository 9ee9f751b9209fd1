using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using MMInterp.Grains.Contracts.Experiments;
using MMInterp.Grains.Registry;

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
        // Enums spelled as the database spells them ('topk', 'sae_training', 'free-label'), one spelling everywhere.
        Converters =
        {
            new Spelling<ModelFamily>(RegistryNames.Name), new Spelling<RunKind>(RegistryNames.Name), new Spelling<RunStatus>(RegistryNames.Name),
            new Spelling<SaeArchitecture>(RegistryNames.Name), new Spelling<LabelMethod>(RegistryNames.Name), new Spelling<TokenScope>(RegistryNames.Name),
        },
        WriteIndented = true,
        // Output for people and scripts, not for embedding in HTML: '+' in a time offset stays '+', not \u002B.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
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

    /// <summary>A node built from records (annotations added), written as every registry JSON is.</summary>
    public static string Format(JsonNode node) => node.ToJsonString(Options);

    public static string FormatList<T>(IEnumerable<T> records) => new JsonArray(records.Select(r => (JsonNode?)ToNode(r)).ToArray()).ToJsonString(Options);

    sealed class Spelling<T>(Func<T, string> name) : JsonConverter<T> where T : struct, Enum
    {
        public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            throw new NotSupportedException("registry JSON is output only");

        public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) => writer.WriteStringValue(name(value));
    }
}
