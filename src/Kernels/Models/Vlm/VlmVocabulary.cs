using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.Vlm;

/// <summary>Word-level vocabulary for the VLM: questions are split on spaces with "?" a token of its own (dropped when the
/// vocabulary has no "?"), and each answer (even "upper left") is ONE token, so an answer is one next-token prediction.
/// Id 0 is padding.</summary>
public sealed class VlmVocabulary
{
    public const string Pad = "<pad>";
    public const string QuestionMark = "?";
    public const string FileName = "vocab.json";
    readonly Dictionary<string, int> _ids;

    public VlmVocabulary(IEnumerable<string> tokens)
    {
        Tokens = new[] { Pad }.Concat(tokens.Where(t => t != Pad)).Distinct(StringComparer.Ordinal).ToList();
        _ids = Tokens.Select((t, i) => (t, i)).ToDictionary(p => p.t, p => p.i, StringComparer.Ordinal);
    }

    public IReadOnlyList<string> Tokens { get; }
    public int Count => Tokens.Count;

    public bool Contains(string token) => _ids.ContainsKey(token);

    public int Id(string token) => _ids.TryGetValue(token, out var id) ? id
        : throw new ArgumentException($"'{token}' is not in the VLM vocabulary ({Count} tokens)");

    public string Token(int id) => id >= 0 && id < Count ? Tokens[id]
        : throw new ArgumentException($"token id {id} is outside the VLM vocabulary (0..{Count - 1})");

    /// <summary>"what colour is the circle?" -> what, colour, is, the, circle, ?</summary>
    public static IEnumerable<string> Split(string question) =>
        question.Trim().ToLowerInvariant().Replace("?", " ?", StringComparison.Ordinal).Split(' ', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>The question's tokens as this vocabulary sees them: <see cref="Split"/>, without "?" when the vocabulary
    /// has none (vlm-zoo/4 predicts the answer right after the question's last word).</summary>
    public IEnumerable<string> Words(string question) =>
        Split(question).Where(w => w != QuestionMark || _ids.ContainsKey(QuestionMark));

    public int[] Encode(string question) => Words(question).Select(Id).ToArray();

    /// <summary>Right-padded ids [B, maxTokens] and lengths [B].</summary>
    public (Tensor Ids, Tensor Lengths) EncodeBatch(IReadOnlyList<string> questions, int maxTokens, Device? device = null)
    {
        var ids = new long[questions.Count * maxTokens];
        var lengths = new long[questions.Count];
        for (var i = 0; i < questions.Count; i++)
        {
            var q = Encode(questions[i]);
            if (q.Length == 0) throw new ArgumentException($"question {i} is empty");
            if (q.Length > maxTokens) throw new ArgumentException($"question '{questions[i]}' has {q.Length} tokens, more than the model's {maxTokens}");
            for (var j = 0; j < q.Length; j++) ids[i * maxTokens + j] = q[j];
            lengths[i] = q.Length;
        }
        return (tensor(ids, [questions.Count, maxTokens], device: device), tensor(lengths, device: device));
    }

    public void Save(string directory) =>
        File.WriteAllText(Path.Combine(directory, FileName), JsonSerializer.Serialize(Tokens));

    public static VlmVocabulary Load(string directory)
    {
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path)) throw new FileNotFoundException($"VLM vocabulary not found: {path}");
        var tokens = JsonSerializer.Deserialize<List<string>>(File.ReadAllText(path)) ?? throw new InvalidDataException($"{path} is not a JSON list of tokens");
        if (tokens.Count == 0 || tokens[0] != Pad) throw new InvalidDataException($"{path}: the first token must be {Pad}");
        return new VlmVocabulary(tokens);
    }
}
