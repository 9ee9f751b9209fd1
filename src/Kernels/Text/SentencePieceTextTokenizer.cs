using System.Globalization;
using System.Text;
using Microsoft.ML.Tokenizers;

namespace MMInterp.Kernels.Text;

/// <summary>
/// Llama's tokeniser (LLaVA-1.5's language model): a SentencePiece BPE tokenizer.model, read and normalised by
/// Microsoft.ML.Tokenizers' LlamaTokenizer (the model's normaliser spec, dummy prefix, byte-fallback flag), merged by
/// <see cref="SentencePieceBpe"/> (the library's merge breaks ties against sentencepiece), with HF LlamaTokenizer's
/// handling of added tokens around it. HF's two modes, chosen by tokenizer_config.json's legacy flag:
/// legacy=false (llava-hf's files): one "▁" before the whole text (add_prefix_space), none after an added token, and
/// a lone "▁" before a leading added token dropped; legacy=true (transformers' default when the flag is missing):
/// every stretch between added tokens gets SentencePiece's dummy prefix. The library's own special-token handling
/// does neither (it puts the prefix after a leading special token), so the splitting is done here.
/// Decoding follows HF's fast decoder: "▁" to space, &lt;0xNN&gt; pieces to UTF-8 bytes, one leading space dropped.
/// </summary>
public sealed class SentencePieceTextTokenizer : TextTokenizer
{
    const char Space = '\u2581';
    readonly LlamaTokenizer _model;
    readonly SentencePieceBpe _bpe;
    readonly string[] _pieces;
    readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);
    readonly bool _legacy, _addPrefixSpace;

    SentencePieceTextTokenizer(LlamaTokenizer model, SentencePieceBpe bpe, string[] pieces, HfTokenizerConfig config)
        : base(pieces.Length, config.AddedTokens, config.AddBos ?? true, config.AddEos ?? false,
               config.BosToken ?? model.BeginningOfSentenceToken, config.EosToken ?? model.EndOfSentenceToken,
               config.UnkToken ?? model.UnknownToken, config.PadToken, config.ImageToken)
    {
        _model = model;
        _bpe = bpe;
        _pieces = pieces;
        for (var i = 0; i < pieces.Length; i++) _ids.TryAdd(pieces[i], i);
        _legacy = config.Legacy;
        _addPrefixSpace = config.AddPrefixSpace;
    }

    public override string Kind => "sentencepiece";
    public bool Legacy => _legacy;

    /// <summary>Reads tokenizer.model (a SentencePiece ModelProto of type BPE) with the directory's HF side files.</summary>
    public static SentencePieceTextTokenizer Load(string modelPath, HfTokenizerConfig config)
    {
        if (!File.Exists(modelPath)) throw new FileNotFoundException($"SentencePiece model not found: {modelPath}", modelPath);
        var bytes = File.ReadAllBytes(modelPath);
        LlamaTokenizer model;
        try
        {
            using var stream = new MemoryStream(bytes, writable: false);
            model = LlamaTokenizer.Create(stream, addBeginOfSentence: false, addEndOfSentence: false);
        }
        catch (Exception e) when (e is not IOException and not UnauthorizedAccessException)
        {
            throw new InvalidDataException($"{modelPath}: not a SentencePiece BPE model ({FirstLine(e.Message)})");
        }
        var table = SentencePiecePieces.Read(bytes, modelPath);
        var pieces = table.Select(p => p.Text).ToArray();
        var bpe = new SentencePieceBpe(table, model.ByteFallback, modelPath);
        foreach (var t in config.AddedTokens)
            if (t.Id < pieces.Length && pieces[t.Id] != t.Content)
                throw new InvalidDataException($"{modelPath}: added token '{t.Content}' claims id {t.Id}, which the model gives to '{pieces[t.Id]}'");
        return new SentencePieceTextTokenizer(model, bpe, pieces, config);
    }

    protected override void EncodePieces(IReadOnlyList<(AddedToken? Token, string Text)> pieces, List<int> ids)
    {
        // legacy=false, text starting at an added token: HF's prepended "▁" stands alone before it; HF drops that
        // piece when the token is special and keeps it otherwise.
        if (!_legacy && _addPrefixSpace && pieces.Count > 0 && pieces[0].Token is { } first && !IsSpecial(first.Id))
            EncodePlain(" ", dummyPrefix: false, ids);
        for (var n = 0; n < pieces.Count; n++)
        {
            var (token, text) = pieces[n];
            if (token is not null) { ids.Add(token.Id); continue; }
            if (_legacy) { EncodePlain(text, dummyPrefix: true, ids); continue; }
            // legacy=false: "▁" + text (any "▁" in the text read as a space), and no dummy prefix anywhere else.
            text = text.Replace(Space, ' ');
            if (n == 0 && _addPrefixSpace) text = " " + text;
            EncodePlain(text, dummyPrefix: false, ids);
        }
    }

    /// <summary>One stretch of plain text through the model's normaliser and BPE; the normaliser's dummy prefix is
    /// removed again when this stretch must not have one.</summary>
    void EncodePlain(string text, bool dummyPrefix, List<int> ids)
    {
        if (text.Length == 0) return;
        var normalized = _model.Normalizer is { } normalizer ? normalizer.Normalize(text) : text.Replace(' ', Space);
        if (!dummyPrefix && _model.AddDummyPrefix && normalized.Length > 0 && normalized[0] == Space) normalized = normalized[1..];
        if (normalized.Length == 0) return;
        _bpe.Encode(normalized, ids);
    }

    protected override string DecodeChecked(IReadOnlyList<int> ids)
    {
        var sb = new StringBuilder();
        var bytes = new List<byte>();
        foreach (var id in ids)
        {
            if (IsAdded(id, out var added)) { Flush(); sb.Append(added.Content); continue; }
            var piece = _pieces[id];
            if (piece.Length == 6 && piece.StartsWith("<0x", StringComparison.Ordinal) && piece[5] == '>'
                && byte.TryParse(piece.AsSpan(3, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var b))
            {
                bytes.Add(b);
                continue;
            }
            Flush();
            sb.Append(piece.Replace(Space, ' '));
        }
        Flush();
        // SentencePiece's dummy prefix (or HF's add_prefix_space): the first token's leading space is not text.
        var dropLeading = (_legacy ? _model.AddDummyPrefix : _addPrefixSpace) && ids.Count > 0 && !IsAdded(ids[0], out _)
                          && sb.Length > 0 && sb[0] == ' ';
        return dropLeading ? sb.ToString(1, sb.Length - 1) : sb.ToString();

        void Flush()
        {
            if (bytes.Count == 0) return;
            sb.Append(Utf8(bytes));
            bytes.Clear();
        }
    }

    protected override int? ModelTokenId(string token) => _ids.TryGetValue(token, out var id) ? id : null;
    protected override string? ModelTokenText(int id) => id >= 0 && id < _pieces.Length ? _pieces[id] : null;

    static string FirstLine(string s) => s.Split('\n')[0].Trim();
}
