using System.Text;

namespace MMInterp.Kernels.Text;

/// <summary>
/// A language model's tokeniser as a model directory defines it: the model's own vocabulary (SentencePiece or
/// byte-level BPE, run by Microsoft.ML.Tokenizers) plus HF's added tokens, which are cut out of the text first.
/// Ids are those of the checkpoint's embedding rows. Load one with <see cref="TokenizerDirectory.Load"/>.
/// </summary>
public abstract class TextTokenizer
{
    readonly AddedTokenSplitter _splitter;
    readonly Dictionary<int, AddedToken> _addedById;
    readonly Dictionary<string, AddedToken> _addedByText;
    readonly bool _addBos, _addEos;
    HashSet<int>? _specialIds; // lazily: it needs the model's lookups, which a derived class sets after this constructor

    protected TextTokenizer(int modelVocabSize, IReadOnlyList<AddedToken> added, bool addBos, bool addEos,
                            string? bos, string? eos, string? unk, string? pad, string? imageToken)
    {
        ModelVocabSize = modelVocabSize;
        AddedTokens = added;
        _addedById = added.ToDictionary(t => t.Id);
        _addedByText = added.GroupBy(t => t.Content, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        _splitter = new AddedTokenSplitter(added);
        VocabSize = Math.Max(modelVocabSize, added.Count == 0 ? 0 : added.Max(t => t.Id) + 1);
        BosToken = bos; EosToken = eos; UnkToken = unk; PadToken = pad;
        ImageToken = imageToken ?? (_addedByText.ContainsKey("<image>") ? "<image>" : null);
        _addBos = addBos;
        _addEos = addEos;
    }

    /// <summary>"sentencepiece" or "byte-level-bpe".</summary>
    public abstract string Kind { get; }
    /// <summary>Size of the model file's own vocabulary (ids below it are the model's).</summary>
    public int ModelVocabSize { get; }
    /// <summary>One past the largest id, added tokens included: the embedding needs at least this many rows.</summary>
    public int VocabSize { get; }
    public IReadOnlyList<AddedToken> AddedTokens { get; }
    public string? BosToken { get; }
    public string? EosToken { get; }
    public string? UnkToken { get; }
    public string? PadToken { get; }
    /// <summary>The image placeholder the chat template writes and LLaVA expands into patch tokens, if the vocabulary has one.</summary>
    public string? ImageToken { get; }
    /// <summary>Whether Encode(text, addSpecialTokens: true) starts with BOS (config's add_bos_token and a BOS token that exists).</summary>
    public bool AddBos => _addBos && BosId is not null;
    public bool AddEos => _addEos && EosId is not null;
    public int? BosId => BosToken is null ? null : TokenId(BosToken);
    public int? EosId => EosToken is null ? null : TokenId(EosToken);
    public int? PadId => PadToken is null ? null : TokenId(PadToken);
    public int? ImageTokenId => ImageToken is null ? null : TokenId(ImageToken);

    /// <summary>The id of one token string (an added token or a vocabulary entry), or null.</summary>
    public int? TokenId(string token) => _addedByText.TryGetValue(token, out var a) ? a.Id : ModelTokenId(token);

    /// <summary>The token string of an id (SentencePiece's piece, BPE's byte-level symbol string, an added token's text).</summary>
    public string TokenText(int id)
    {
        CheckId(id);
        return _addedById.TryGetValue(id, out var a) ? a.Content
            : ModelTokenText(id) ?? throw new ArgumentOutOfRangeException(nameof(id), $"token id {id} is not in the vocabulary");
    }

    /// <summary>BOS, EOS, unk, pad and the added tokens marked special: what a decode skipping specials leaves out.</summary>
    public bool IsSpecial(int id)
    {
        if (_specialIds is null)
        {
            var ids = AddedTokens.Where(t => t.Special).Select(t => t.Id).ToHashSet();
            foreach (var name in new[] { BosToken, EosToken, UnkToken, PadToken })
                if (name is not null && TokenId(name) is { } i) ids.Add(i);
            _specialIds = ids;
        }
        return _specialIds.Contains(id);
    }

    /// <summary>Text to ids: added tokens matched first, each stretch between them by the model's tokeniser;
    /// with <paramref name="addSpecialTokens"/> the BOS/EOS the tokeniser config asks for.</summary>
    public int[] Encode(string text, bool addSpecialTokens = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>();
        if (addSpecialTokens && AddBos) ids.Add(BosId!.Value);
        var pieces = _splitter.Split(text).ToList();
        EncodePieces(pieces, ids);
        if (addSpecialTokens && AddEos) ids.Add(EosId!.Value);
        return ids.ToArray();
    }

    /// <summary>Ids to text; ids outside the vocabulary are an error naming the id. With
    /// <paramref name="skipSpecialTokens"/> BOS/EOS/pad and special added tokens are left out.</summary>
    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false)
    {
        var list = ids.ToList();
        foreach (var id in list) CheckId(id);
        var kept = skipSpecialTokens ? list.Where(i => !IsSpecial(i)).ToList() : list;
        return DecodeChecked(kept);
    }

    void CheckId(int id)
    {
        if (id < 0 || id >= VocabSize || (id >= ModelVocabSize && !_addedById.ContainsKey(id)))
            throw new ArgumentOutOfRangeException(nameof(id), $"token id {id} is outside the vocabulary (0..{VocabSize - 1}, {Kind})");
    }

    protected bool IsAdded(int id, out AddedToken token) => _addedById.TryGetValue(id, out token!);

    /// <summary>Encodes the split text: (null, text) runs go to the model's tokeniser, added tokens to their ids.</summary>
    protected abstract void EncodePieces(IReadOnlyList<(AddedToken? Token, string Text)> pieces, List<int> ids);
    /// <summary>Decodes ids already checked to be in the vocabulary.</summary>
    protected abstract string DecodeChecked(IReadOnlyList<int> ids);
    protected abstract int? ModelTokenId(string token);
    protected abstract string? ModelTokenText(int id);

    /// <summary>UTF-8 bytes to text, bad sequences as U+FFFD (sentencepiece and HF's errors="replace" do the same).</summary>
    protected static string Utf8(List<byte> bytes) => Encoding.UTF8.GetString(bytes.ToArray());
}
