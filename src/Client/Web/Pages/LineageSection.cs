using System.Text.Json;
using System.Text.Json.Nodes;
using MMInterp.Client.Web.Rendering;
using MMInterp.Grains.Registry;

namespace MMInterp.Client.Web.Pages;

/// <summary>
/// The "refers to" part of a detail page: every string in a row's JSON (config, results, spec) that names a registry
/// row becomes a link, so ids inside JSON blocks are reachable too.
/// </summary>
public static class LineageSection
{
    /// <summary>Rows named by any string value in <paramref name="jsons"/> (besides <paramref name="self"/>), as a list of links.</summary>
    public static async Task<string> RefersToAsync(RegistryStore r, string self, string id, CancellationToken ct, params string?[] jsons)
    {
        var strings = new HashSet<string>(StringComparer.Ordinal);
        foreach (var json in jsons) Collect(Parse(json), strings);
        strings.Remove(self);
        return RegistryLinks.List(await r.Lineage.NamedAsync(strings, ct), id);
    }

    static JsonNode? Parse(string? json)
    {
        if (string.IsNullOrWhiteSpace(json)) return null;
        try { return JsonNode.Parse(json); }
        catch (JsonException) { return null; }
    }

    static void Collect(JsonNode? node, HashSet<string> into)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (_, v) in o) Collect(v, into);
                break;
            case JsonArray a:
                foreach (var v in a) Collect(v, into);
                break;
            case JsonValue v when v.TryGetValue<string>(out var s) && s.Length <= 128:
                into.Add(s);
                break;
        }
    }
}
