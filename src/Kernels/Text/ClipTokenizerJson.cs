using System.Text.Json;
using System.Text.Json.Nodes;

namespace MMInterp.Kernels.Text;

/// <summary>
/// The CLIP BPE tokenizer from an HF tokenizers-library tokenizer.json: model.vocab (token -> id), model.merges
/// ("a b" strings in older files, [a, b] pairs in newer ones) and added_tokens (the markers, if not in the vocab).
/// </summary>
public static class ClipTokenizerJson
{
    public static ClipBpeTokenizer Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"tokenizer not found: {path}", path);
        JsonObject model;
        JsonNode? root;
        try { root = JsonNode.Parse(File.ReadAllText(path)); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not valid JSON ({e.Message})"); }
        model = root?["model"] as JsonObject ?? throw new InvalidDataException($"{path}: no 'model' object (not a tokenizers-library tokenizer.json)");
        if (model["type"] is JsonValue t && t.TryGetValue<string>(out var type) && type != "BPE")
            throw new InvalidDataException($"{path}: model.type is '{type}'; CLIP's tokenizer is BPE");
        var vocabNode = model["vocab"] as JsonObject ?? throw new InvalidDataException($"{path}: model.vocab is not a token -> id object");
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (token, id) in vocabNode)
            vocab[token] = id is JsonValue v && v.TryGetValue<int>(out var i) ? i : throw new InvalidDataException($"{path}: model.vocab['{token}'] is not an integer id");
        if (root!["added_tokens"] is JsonArray added)
            foreach (var a in added)
                if (a?["content"] is JsonValue c && c.TryGetValue<string>(out var content) && a["id"] is JsonValue idv && idv.TryGetValue<int>(out var id))
                    vocab.TryAdd(content, id);
        var mergesNode = model["merges"] as JsonArray ?? throw new InvalidDataException($"{path}: model.merges is not an array");
        var merges = new List<(string, string)>(mergesNode.Count);
        for (var n = 0; n < mergesNode.Count; n++)
        {
            switch (mergesNode[n])
            {
                case JsonValue v when v.TryGetValue<string>(out var s) && s.Split(' ') is [var a, var b]:
                    merges.Add((a, b));
                    break;
                case JsonArray { Count: 2 } pair when pair[0] is JsonValue a && a.TryGetValue<string>(out var left)
                                                      && pair[1] is JsonValue b && b.TryGetValue<string>(out var right):
                    merges.Add((left, right));
                    break;
                default:
                    throw new InvalidDataException($"{path}: model.merges[{n}] is neither \"a b\" nor [a, b]");
            }
        }
        try { return new ClipBpeTokenizer(vocab, merges); }
        catch (InvalidDataException e) { throw new InvalidDataException($"{path}: {e.Message}"); }
    }
}
