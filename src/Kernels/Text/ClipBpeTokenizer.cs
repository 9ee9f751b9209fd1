using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Text;

/// <summary>The CLIP tokenizer as OpenAI's simple_tokenizer.py runs it: NFC, HTML entities unescaped twice,
/// whitespace collapsed, lower-cased, split by CLIP's pattern, byte-level BPE with "&lt;/w&gt;" marking a word's last
/// symbol, wrapped in &lt;|startoftext|&gt; ... &lt;|endoftext|&gt;. Checked against simple_tokenizer on 3,431 real prompts
/// (Clip/OpenAiReferenceTests). Known differences, all on unusual text: ftfy.fix_text's repairs other than NFC are not
/// done (curly quotes stay curly, mojibake and ligatures stay as they are, full-width forms are kept); .NET's
/// WebUtility.HtmlDecode knows HTML4's named entities and needs the ';' where Python's html.unescape knows HTML5's;
/// lower-casing is .NET's one-to-one invariant mapping where Python's str.lower() may expand a character
/// (U+0130 'İ').</summary>
public sealed partial class ClipBpeTokenizer
{
    public const string StartOfText = "<|startoftext|>";
    public const string EndOfText = "<|endoftext|>";

    readonly Dictionary<string, int> _vocab;
    readonly Dictionary<(string, string), int> _ranks;
    readonly Dictionary<string, int[]> _cache = new(StringComparer.Ordinal);
    readonly string[] _idToToken;

    [GeneratedRegex(@"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+", RegexOptions.IgnoreCase)]
    private static partial Regex Pattern();

    public ClipBpeTokenizer(IReadOnlyDictionary<string, int> vocab, IReadOnlyList<(string A, string B)> merges)
    {
        _vocab = new Dictionary<string, int>(vocab, StringComparer.Ordinal);
        foreach (var special in new[] { StartOfText, EndOfText })
            if (!_vocab.ContainsKey(special)) throw new InvalidDataException($"vocabulary has no '{special}' token");
        _ranks = new Dictionary<(string, string), int>();
        for (var i = 0; i < merges.Count; i++) _ranks.TryAdd(merges[i], i);
        Merges = merges.ToList();
        _idToToken = new string[_vocab.Values.Max() + 1];
        foreach (var (token, id) in _vocab) _idToToken[id] = token;
        StartId = _vocab[StartOfText];
        EndId = _vocab[EndOfText];
    }

    public int StartId { get; }
    public int EndId { get; }
    /// <summary>HF CLIP pads with &lt;|endoftext|&gt;.</summary>
    public int PadId => EndId;
    public int VocabSize => _idToToken.Length;
    public IReadOnlyDictionary<string, int> Vocab => _vocab;
    public IReadOnlyList<(string A, string B)> Merges { get; }

    /// <summary>Loads HF's vocab.json and merges.txt (first line "#version" is skipped if present).</summary>
    public static ClipBpeTokenizer FromFiles(string vocabPath, string mergesPath)
    {
        if (!File.Exists(vocabPath)) throw new FileNotFoundException($"tokenizer vocabulary not found: {vocabPath}", vocabPath);
        if (!File.Exists(mergesPath)) throw new FileNotFoundException($"tokenizer merges not found: {mergesPath}", mergesPath);
        Dictionary<string, int> vocab;
        try { vocab = JsonSerializer.Deserialize<Dictionary<string, int>>(File.ReadAllText(vocabPath)) ?? throw new InvalidDataException("empty"); }
        catch (JsonException e) { throw new InvalidDataException($"{vocabPath} is not a JSON token->id map: {e.Message}"); }
        var merges = new List<(string, string)>();
        var lineNo = 0;
        foreach (var line in File.ReadLines(mergesPath))
        {
            lineNo++;
            if (line.StartsWith("#version", StringComparison.Ordinal) || line.Length == 0) continue;
            var parts = line.Split(' ');
            if (parts.Length != 2) throw new InvalidDataException($"{mergesPath}:{lineNo}: expected two symbols separated by one space, got '{line}'");
            merges.Add((parts[0], parts[1]));
        }
        return new ClipBpeTokenizer(vocab, merges);
    }

    public void Save(string directory)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "vocab.json"), JsonSerializer.Serialize(_vocab.OrderBy(kv => kv.Value).ToDictionary(kv => kv.Key, kv => kv.Value)));
        var sb = new StringBuilder("#version: 0.2\n");
        foreach (var (a, b) in Merges) sb.Append(a).Append(' ').Append(b).Append('\n');
        File.WriteAllText(Path.Combine(directory, "merges.txt"), sb.ToString());
    }

    /// <summary>Token ids with start and end markers, no padding.</summary>
    public int[] Encode(string text)
    {
        var ids = new List<int> { StartId };
        var clean = string.Join(' ', Clean(text).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)).ToLowerInvariant();
        foreach (Match m in Pattern().Matches(clean))
        {
            if (m.Value == StartOfText) { ids.Add(StartId); continue; }
            if (m.Value == EndOfText) { ids.Add(EndId); continue; }
            ids.AddRange(EncodeWord(m.Value));
        }
        ids.Add(EndId);
        return ids.ToArray();
    }

    /// <summary>simple_tokenizer's basic_clean less ftfy: NFC (the part of ftfy.fix_text real prompts need), then
    /// HTML entities unescaped twice ("&amp;amp;" in scraped captions becomes "&amp;").</summary>
    static string Clean(string text) => WebUtility.HtmlDecode(WebUtility.HtmlDecode(Nfc(text)));

    static string Nfc(string text)
    {
        try { return text.Normalize(NormalizationForm.FormC); }
        catch (ArgumentException) { return text; } // a lone surrogate: nothing to compose
    }

    /// <summary>[B, contextLength] int64, padded with &lt;|endoftext|&gt;; too long texts are cut and keep their end marker.</summary>
    public Tensor EncodeBatch(IReadOnlyList<string> texts, int contextLength, Device? device = null)
    {
        var data = new long[texts.Count * contextLength];
        Array.Fill(data, PadId);
        for (var i = 0; i < texts.Count; i++)
        {
            var ids = Encode(texts[i]);
            if (ids.Length > contextLength) { ids = ids[..contextLength]; ids[^1] = EndId; }
            for (var j = 0; j < ids.Length; j++) data[i * contextLength + j] = ids[j];
        }
        return tensor(data, [texts.Count, contextLength], device: device);
    }

    public string Decode(IEnumerable<int> ids)
    {
        var sb = new StringBuilder();
        foreach (var id in ids)
        {
            if (id == StartId || id == EndId) continue;
            sb.Append(id >= 0 && id < _idToToken.Length ? _idToToken[id] : "");
        }
        var chars = sb.ToString().Replace("</w>", " ");
        var bytes = new List<byte>();
        foreach (var c in chars) bytes.Add(c == ' ' ? (byte)' ' : CharToByte(c));
        return Encoding.UTF8.GetString(bytes.ToArray()).Trim();
    }

    static byte CharToByte(char c) => (byte)Array.IndexOf(ByteUnicode.ByteToChar, c);

    int[] EncodeWord(string word)
    {
        if (_cache.TryGetValue(word, out var cached)) return cached;
        var symbols = ApplyMerges(word, _ranks);
        // A symbol missing from the vocabulary maps to <|endoftext|>, HF CLIP's unknown token.
        var ids = symbols.Select(s => _vocab.TryGetValue(s, out var id) ? id : EndId).ToArray();
        _cache[word] = ids;
        return ids;
    }

    /// <summary>Builds a small CLIP-format vocabulary in which each given word is one token: byte symbols of the
    /// letters used, then one merge at a time until every word is whole, then the two markers (last, so EOS has the
    /// highest id as in CLIP's own vocabulary).</summary>
    public static ClipBpeTokenizer BuildForWords(IEnumerable<string> words)
    {
        var list = words.Select(w => w.ToLowerInvariant()).Distinct().OrderBy(w => w, StringComparer.Ordinal).ToList();
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        void Add(string token) => vocab.TryAdd(token, vocab.Count);
        var symbols = list.SelectMany(w => Encoding.UTF8.GetBytes(w)).Distinct().OrderBy(b => b).Select(b => ByteUnicode.ByteToChar[b].ToString()).ToList();
        foreach (var s in symbols) Add(s);
        foreach (var s in symbols) Add(s + "</w>");
        var merges = new List<(string, string)>();
        var ranks = new Dictionary<(string, string), int>();
        foreach (var word in list)
        {
            while (true)
            {
                var parts = ApplyMerges(word, ranks);
                if (parts.Count == 1) break;
                // New merges rank after all older ones, so words already whole keep their single token.
                var pair = (parts[0], parts[1]);
                ranks[pair] = merges.Count;
                merges.Add(pair);
                Add(parts[0] + parts[1]);
            }
        }
        Add(StartOfText);
        Add(EndOfText);
        return new ClipBpeTokenizer(vocab, merges);
    }

    static List<string> ApplyMerges(string word, Dictionary<(string, string), int> ranks)
    {
        var symbols = Encoding.UTF8.GetBytes(word).Select(b => ByteUnicode.ByteToChar[b].ToString()).ToList();
        symbols[^1] += "</w>";
        while (symbols.Count > 1)
        {
            var best = -1;
            var bestRank = int.MaxValue;
            for (var i = 0; i < symbols.Count - 1; i++)
                if (ranks.TryGetValue((symbols[i], symbols[i + 1]), out var r) && r < bestRank) { bestRank = r; best = i; }
            if (best < 0) break;
            // Merge every occurrence of the best pair, left to right (as the reference implementation does).
            var (a, b) = (symbols[best], symbols[best + 1]);
            var merged = new List<string>(symbols.Count);
            for (var i = 0; i < symbols.Count; i++)
            {
                if (i < symbols.Count - 1 && symbols[i] == a && symbols[i + 1] == b) { merged.Add(a + b); i++; }
                else merged.Add(symbols[i]);
            }
            symbols = merged;
        }
        return symbols;
    }
}
