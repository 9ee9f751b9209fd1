using System.Text.Json.Nodes;
using MMInterp.Kernels.Extraction;

namespace MMInterp.Grains.Registry;

/// <summary>Which tokens an activation set's rows hold, kept in its dataset record as "tokens" ("patch", "cls"). All-token
/// sets carry no entry, so every set registered before the option reads as all tokens and no migration is needed.</summary>
public static class ActivationSetTokens
{
    public const string Key = "tokens";

    /// <summary><paramref name="datasetJson"/> with the selection recorded (unchanged for all tokens).</summary>
    public static string Record(string datasetJson, TokenSelection tokens)
    {
        if (tokens.Stored() is not { } name) return datasetJson;
        var o = JsonNode.Parse(datasetJson) as JsonObject ?? throw new ArgumentException("an activation set's dataset record must be a JSON object");
        o[Key] = name;
        return o.ToJsonString();
    }

    /// <summary>The selection a set's dataset record names (all when it names none).</summary>
    public static TokenSelection Of(string datasetJson) =>
        (JsonNode.Parse(datasetJson) as JsonObject)?[Key] is JsonValue v && v.TryGetValue<string>(out var name) ? TokenSelections.Parse(name) : TokenSelection.All;

    public static TokenSelection Tokens(this ActivationSetRecord set) => Of(set.DatasetSpecJson);
}
