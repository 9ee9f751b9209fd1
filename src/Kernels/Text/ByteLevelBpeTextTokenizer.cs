using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace MMInterp.Kernels.Text;

/// <summary>
/// Qwen2's tokeniser (GPT-2-style byte-level BPE) from an HF tokenizers-library tokenizer.json, run by
/// Microsoft.ML.Tokenizers' BpeTokenizer with ByteLevel on: the file's NFC normaliser (applied here), its Split pre-tokenizer
/// regex (run by .NET's Regex), merges by rank. Added tokens (&lt;|im_start|&gt;, &lt;|endoftext|&gt;, &lt;image&gt;)
/// are cut out first. Known difference from HF: .NET's regex matches UTF-16 units, so a letter or digit outside the
/// Basic Multilingual Plane (e.g. U+1D400 mathematical bold letters, CJK extension B) is not \p{L}/\p{N} here and
/// may split differently; the bytes still round-trip.
/// </summary>
public sealed class ByteLevelBpeTextTokenizer : TextTokenizer
{
    /// <summary>GPT-2's pattern: what a ByteLevel pre-tokenizer with use_regex=true splits by.</summary>
    public const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    readonly BpeTokenizer _model;
    readonly Normalizer? _normalizer;
    readonly string[] _symbols;

    ByteLevelBpeTextTokenizer(BpeTokenizer model, Normalizer? normalizer, string[] symbols, string pattern, HfTokenizerConfig config)
        : base(symbols.Length, config.AddedTokens, config.AddBos ?? false, config.AddEos ?? false,
               config.BosToken, config.EosToken, config.UnkToken, config.PadToken, config.ImageToken)
    {
        _model = model;
        _normalizer = normalizer;
        _symbols = symbols;
        Pattern = pattern;
    }

    public override string Kind => "byte-level-bpe";
    /// <summary>The pre-tokenizer's split pattern.</summary>
    public string Pattern { get; }

    /// <summary>Reads tokenizer.json; the config's added tokens are joined by the file's own added_tokens.</summary>
    public static ByteLevelBpeTextTokenizer Load(string path, HfTokenizerConfig config)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"tokenizer not found: {path}", path);
        var root = HfTokenizerConfig.ReadObject(path);
        var model = root["model"] as JsonObject ?? throw new InvalidDataException($"{path}: no 'model' object (not a tokenizers-library tokenizer.json)");
        var type = model["type"] is JsonValue t && t.TryGetValue<string>(out var s) ? s : "BPE";
        if (type != "BPE") throw new InvalidDataException($"{path}: model.type is '{type}'; only byte-level BPE tokenizer.json files are read (a SentencePiece model needs tokenizer.model)");
        if (model["byte_fallback"] is JsonValue bf && bf.TryGetValue<bool>(out var fallback) && fallback)
            throw new InvalidDataException($"{path}: a BPE with byte_fallback is SentencePiece-style (Llama); put its tokenizer.model beside it");
        var vocabNode = model["vocab"] as JsonObject ?? throw new InvalidDataException($"{path}: model.vocab is not a token -> id object");
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (token, idNode) in vocabNode)
            vocab[token] = idNode is JsonValue v && v.TryGetValue<int>(out var id) && id >= 0 ? id
                : throw new InvalidDataException($"{path}: model.vocab['{token}'] is not a token id");
        var merges = ReadMerges(model["merges"], path);
        var pattern = SplitPattern(root["pre_tokenizer"], path);
        Regex regex;
        try { regex = new Regex(pattern, RegexOptions.Compiled); }
        catch (ArgumentException e) { throw new InvalidDataException($"{path}: the pre-tokenizer regex is not one .NET can run ({e.Message})"); }
        var normalizer = root["normalizer"] switch
        {
            null => null,
            JsonObject n when n["type"]?.GetValue<string>() == "NFC" => NfcNormalizer.Instance,
            JsonObject n => throw new InvalidDataException($"{path}: normalizer type '{n["type"]}' is not supported (NFC or none)"),
            _ => throw new InvalidDataException($"{path}: 'normalizer' is not an object"),
        };
        var added = config.AddedTokens.ToDictionary(a => a.Id);
        if (root["added_tokens"] is JsonArray list)
            foreach (var node in list)
            {
                if (node?["content"] is not JsonValue c || !c.TryGetValue<string>(out var content) || node["id"] is not JsonValue i || !i.TryGetValue<int>(out var id))
                    throw new InvalidDataException($"{path}: an added_tokens entry lacks a string 'content' or an integer 'id'");
                var special = node["special"] is JsonValue sp && sp.TryGetValue<bool>(out var b) && b;
                added.TryAdd(id, new AddedToken(content, id, special));
            }
        var symbols = new string[vocab.Count == 0 ? 0 : vocab.Values.Max() + 1];
        foreach (var (token, id) in vocab) symbols[id] = token;
        if (Array.IndexOf(symbols, null) is var hole and >= 0)
            throw new InvalidDataException($"{path}: model.vocab has no token with id {hole} (ids must run 0..{symbols.Length - 1})");
        foreach (var a in added.Values)
            if (a.Id < symbols.Length && symbols[a.Id] != a.Content)
                throw new InvalidDataException($"{path}: added token '{a.Content}' claims id {a.Id}, which model.vocab gives to '{symbols[a.Id]}'");
        BpeTokenizer bpe;
        try
        {
            bpe = BpeTokenizer.Create(new BpeOptions(vocab)
            {
                // the normaliser is applied here, per stretch between added tokens: BpeTokenizer 3.0.0 skipped it
                Merges = merges, ByteLevel = true, PreTokenizer = new RegexPreTokenizer(regex, null),
            });
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{path}: the BPE model does not load ({e.Message.Split('\n')[0]})");
        }
        return new ByteLevelBpeTextTokenizer(bpe, normalizer, symbols, pattern,
            config with { AddedTokens = added.Values.OrderBy(a => a.Id).ToList() });
    }

    /// <summary>model.merges as "a b" strings (older files) or [a, b] pairs (newer ones), in rank order.</summary>
    static List<string> ReadMerges(JsonNode? node, string path)
    {
        var array = node as JsonArray ?? throw new InvalidDataException($"{path}: model.merges is not an array");
        var merges = new List<string>(array.Count);
        for (var n = 0; n < array.Count; n++)
            merges.Add(array[n] switch
            {
                JsonValue v when v.TryGetValue<string>(out var s) && s.Split(' ').Length == 2 => s,
                JsonArray { Count: 2 } p when p[0] is JsonValue a && a.TryGetValue<string>(out var l)
                                            && p[1] is JsonValue b && b.TryGetValue<string>(out var r) => $"{l} {r}",
                _ => throw new InvalidDataException($"{path}: model.merges[{n}] is neither \"a b\" nor [a, b]"),
            });
        return merges;
    }

    /// <summary>The Split regex of the pre-tokenizer (alone or in a Sequence); a ByteLevel one with use_regex splits by GPT-2's.</summary>
    static string SplitPattern(JsonNode? node, string path)
    {
        var steps = node switch
        {
            JsonObject o when o["type"]?.GetValue<string>() == "Sequence" => (o["pretokenizers"] as JsonArray)?.OfType<JsonObject>().ToList() ?? [],
            JsonObject o => [o],
            null => throw new InvalidDataException($"{path}: no pre_tokenizer (a byte-level BPE needs one)"),
            _ => throw new InvalidDataException($"{path}: 'pre_tokenizer' is not an object"),
        };
        foreach (var step in steps)
        {
            var type = step["type"]?.GetValue<string>();
            if (type == "Split" && step["pattern"]?["Regex"] is JsonValue r && r.TryGetValue<string>(out var pattern)) return pattern;
            if (type == "ByteLevel" && (step["use_regex"] is not JsonValue u || !u.TryGetValue<bool>(out var use) || use)) return Gpt2Pattern;
        }
        throw new InvalidDataException($"{path}: the pre_tokenizer has neither a Split regex nor a ByteLevel step with use_regex");
    }

    protected override void EncodePieces(IReadOnlyList<(AddedToken? Token, string Text)> pieces, List<int> ids)
    {
        foreach (var (token, text) in pieces)
            if (token is not null) ids.Add(token.Id);
            else ids.AddRange(_model.EncodeToIds(_normalizer?.Normalize(text) ?? text));
    }

    protected override string DecodeChecked(IReadOnlyList<int> ids)
    {
        var sb = new System.Text.StringBuilder();
        var run = new List<int>();
        foreach (var id in ids)
        {
            if (!IsAdded(id, out var added)) { run.Add(id); continue; }
            Flush();
            sb.Append(added.Content);
        }
        Flush();
        return sb.ToString();

        void Flush()
        {
            if (run.Count == 0) return;
            sb.Append(_model.Decode(run));
            run.Clear();
        }
    }

    protected override int? ModelTokenId(string token) => _model.Vocabulary.TryGetValue(token, out var id) ? id : null;
    protected override string? ModelTokenText(int id) => id >= 0 && id < _symbols.Length ? _symbols[id] : null;
}
