using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace MMInterp.Client.Web.Api;

/// <summary>
/// A submitted JSON object read field by field, so every refusal is one line naming the field: an unknown field (with
/// the valid ones), a missing one, one of the wrong type. Field names are snake_case, like the registry's JSON.
/// </summary>
public sealed class JsonBody
{
    readonly JsonObject _o;
    readonly string _where;

    JsonBody(JsonObject o, string where) => (_o, _where) = (o, where);

    public static async Task<JsonBody> ReadAsync(HttpRequest request, IReadOnlyCollection<string> fields, CancellationToken ct)
    {
        if (request.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) != true)
            throw new ArgumentException("the body must be JSON (Content-Type: application/json)");
        var node = await JsonNode.ParseAsync(request.Body, cancellationToken: ct);
        return Of(node, "body", fields);
    }

    public static JsonBody Of(JsonNode? node, string where, IReadOnlyCollection<string> fields)
    {
        var o = node as JsonObject ?? throw new ArgumentException($"{where} must be a JSON object");
        foreach (var (key, _) in o)
            if (!fields.Contains(key))
                throw new ArgumentException($"{where}: unknown field '{key}'; valid fields: {string.Join(", ", fields)}");
        return new JsonBody(o, where);
    }

    /// <summary>What the object is called in messages ("body", "form", "body.grid").</summary>
    public string Where => _where;

    public bool Has(string name) => _o[name] is not null;

    public JsonNode? Node(string name) => _o[name];

    public string String(string name) => OptionalString(name) ?? throw new ArgumentException($"{_where}.{name} is required");

    public string? OptionalString(string name) => _o[name] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        _ => throw new ArgumentException($"{_where}.{name} must be a string"),
    };

    public int Int(string name, int fallback) => (int)Long(name, fallback, int.MinValue, int.MaxValue);

    public long Long(string name, long fallback, long min = long.MinValue, long max = long.MaxValue) => _o[name] switch
    {
        null => fallback,
        JsonValue v when v.TryGetValue<long>(out var n) && n >= min && n <= max => n,
        JsonValue v when v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<double>(out var d) && d == Math.Floor(d) && d >= min && d <= max => (long)d,
        _ => throw new ArgumentException($"{_where}.{name} must be a whole number"),
    };

    public double Double(string name, double fallback) => _o[name] switch
    {
        null => fallback,
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => v.GetValue<double>(),
        _ => throw new ArgumentException($"{_where}.{name} must be a number"),
    };

    /// <summary>A list of strings; a single comma-separated string is read as the list the CLI option takes.</summary>
    public IReadOnlyList<string>? Strings(string name) => _o[name] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String =>
            v.GetValue<string>().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
        JsonArray a when a.All(x => x is JsonValue e && e.GetValueKind() == JsonValueKind.String) => a.Select(x => x!.GetValue<string>()).ToList(),
        _ => throw new ArgumentException($"{_where}.{name} must be a list of strings"),
    };

    public JsonObject? Object(string name) => _o[name] switch
    {
        null => null,
        JsonObject o => (JsonObject)o.DeepClone(),
        _ => throw new ArgumentException($"{_where}.{name} must be a JSON object"),
    };
}
