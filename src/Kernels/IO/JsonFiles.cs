using System.Text.Json;
using System.Text.Json.Nodes;

namespace MMInterp.Kernels.IO;

/// <summary>
/// JSON config files (config.json, preprocessor_config.json, index files) read whole and checked up front.
/// JsonNode parses objects lazily, so a duplicate key surfaced later as a bare "An item with the same key has already
/// been added"; reading every member here turns that into the file's one-line error. Text echoed into messages goes
/// through <see cref="Quote"/>, so a value holding a newline cannot split an error line.
/// </summary>
public static class JsonFiles
{
    /// <summary>The file's root object; an <see cref="InvalidDataException"/> naming the file when it is not one.</summary>
    public static JsonObject ReadObject(string path)
    {
        try
        {
            var root = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new InvalidDataException($"{path}: not a JSON object");
            Materialise(root);
            return root;
        }
        catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException)
        {
            throw new InvalidDataException($"{path}: not valid JSON ({Line(e.Message)})", e);
        }
    }

    /// <summary>Parses every object's members (where duplicates are found).</summary>
    public static void Materialise(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (_, child) in o) Materialise(child);
                break;
            case JsonArray a:
                foreach (var child in a) Materialise(child);
                break;
        }
    }

    /// <summary>A value as compact JSON text (a string quoted and escaped): safe to put inside a one-line message.</summary>
    public static string Quote(JsonNode? node) => node?.ToJsonString() ?? "null";

    /// <summary>A string quoted and escaped as JSON would write it.</summary>
    public static string Quote(string? text) => text is null ? "null" : JsonSerializer.Serialize(text);

    /// <summary>An ArgumentException's message without the " (Parameter 'x')" .NET appends (the message names the field already).</summary>
    public static string Reason(ArgumentException e)
    {
        var suffix = e.ParamName is null ? null : $" (Parameter '{e.ParamName}')";
        var message = suffix is not null && e.Message.EndsWith(suffix, StringComparison.Ordinal) ? e.Message[..^suffix.Length] : e.Message;
        return Line(message);
    }

    /// <summary>The first line of a message (System.Text.Json's own messages carry paths and positions on one line).</summary>
    public static string Line(string message) => message.Split('\n')[0].TrimEnd('\r');
}
