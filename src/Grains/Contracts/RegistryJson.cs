using System.Text.Json;

namespace MMInterp.Grains.Contracts;

/// <summary>JSON documents travel as strings (cheap to pass through grains); each is checked to be an object here.</summary>
public static class RegistryJson
{
    public const string EmptyObject = "{}";

    public static string ValidateObject(string? json, string what)
    {
        if (string.IsNullOrWhiteSpace(json)) throw new ArgumentException($"{what} is empty; pass {{}} for none");
        try
        {
            using var doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new ArgumentException($"{what} must be a JSON object, got a {doc.RootElement.ValueKind.ToString().ToLowerInvariant()}");
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"{what} is not valid JSON: {e.Message}", e);
        }
        return json;
    }

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value);
}
