using System.Globalization;
using System.Text;

namespace MMInterp.Kernels.Text;

/// <summary>
/// SentencePiece's BPE encoding of normalised text (sentencepiece's bpe_model.cc): characters (user-defined pieces
/// whole), then repeatedly the adjacent pair whose merged piece scores highest, ties to the leftmost; what is left
/// unknown becomes its UTF-8 bytes (&lt;0xNN&gt; pieces) under byte fallback. Written here because
/// Microsoft.ML.Tokenizers 3.0.0 breaks ties the other way (SymbolPair.CompareTo prefers the larger left index), so
/// a run such as "▁▁▁" with only "▁▁" in the vocabulary came out "▁ ▁▁" where sentencepiece gives "▁▁ ▁" (found by
/// the golden tests). Only normal, user-defined and unused pieces are merge targets, as in sentencepiece; unused
/// pieces are kept rather than re-segmented (Llama's vocabularies have none).
/// </summary>
public sealed class SentencePieceBpe
{
    readonly Dictionary<string, (int Id, float Score)> _mergeable = new(StringComparer.Ordinal);
    readonly string[] _userDefined;
    readonly int[] _byteIds = Enumerable.Repeat(-1, 256).ToArray();
    readonly int _unkId;
    readonly bool _byteFallback;

    public SentencePieceBpe(IReadOnlyList<SentencePiecePieces.Piece> pieces, bool byteFallback, string path)
    {
        _unkId = -1;
        for (var id = 0; id < pieces.Count; id++)
        {
            var p = pieces[id];
            switch (p.Type)
            {
                case SentencePiecePieces.PieceType.Normal or SentencePiecePieces.PieceType.UserDefined or SentencePiecePieces.PieceType.Unused:
                    _mergeable.TryAdd(p.Text, (id, p.Type == SentencePiecePieces.PieceType.UserDefined ? 0f : p.Score));
                    break;
                case SentencePiecePieces.PieceType.Unknown:
                    _unkId = id;
                    break;
                case SentencePiecePieces.PieceType.Byte when p.Text.Length == 6 && byte.TryParse(p.Text.AsSpan(3, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var b):
                    _byteIds[b] = id;
                    break;
            }
        }
        if (_unkId < 0) throw new InvalidDataException($"{path}: the model has no unknown piece");
        _byteFallback = byteFallback && _byteIds.All(i => i >= 0);
        _userDefined = pieces.Where(p => p.Type == SentencePiecePieces.PieceType.UserDefined).Select(p => p.Text)
                             .OrderByDescending(t => t.Length).ToArray();
    }

    /// <summary>Ids of already-normalised text (spaces as "▁", dummy prefix as wanted).</summary>
    public void Encode(string text, List<int> ids)
    {
        if (text.Length == 0) return;
        // symbols as (start, length) in text, linked by prev/next; merged-away symbols get length 0
        var start = new List<int>();
        var length = new List<int>();
        for (var i = 0; i < text.Length;)
        {
            var n = _userDefined.FirstOrDefault(u => string.CompareOrdinal(text, i, u, 0, u.Length) == 0 && i + u.Length <= text.Length)?.Length
                    ?? (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? 2 : 1);
            start.Add(i);
            length.Add(n);
            i += n;
        }
        var count = start.Count;
        var prev = Enumerable.Range(-1, count).ToArray();
        var next = Enumerable.Range(1, count).Select(i => i < count ? i : -1).ToArray();
        var agenda = new PriorityQueue<(int Left, int Right, int Length), (float NegScore, int Left)>();
        for (var i = 1; i < count; i++) Push(i - 1, i);

        while (agenda.TryDequeue(out var top, out _))
        {
            // stale: one side already merged into something else since this pair was queued
            if (length[top.Left] == 0 || length[top.Right] == 0 || length[top.Left] + length[top.Right] != top.Length) continue;
            length[top.Left] += length[top.Right];
            length[top.Right] = 0;
            next[top.Left] = next[top.Right];
            if (next[top.Left] >= 0) prev[next[top.Left]] = top.Left;
            if (prev[top.Left] >= 0) Push(prev[top.Left], top.Left);
            if (next[top.Left] >= 0) Push(top.Left, next[top.Left]);
        }

        for (var i = 0; i >= 0; i = next[i])
        {
            var piece = text.Substring(start[i], length[i]);
            if (_mergeable.TryGetValue(piece, out var hit)) { ids.Add(hit.Id); continue; }
            if (!_byteFallback) { ids.Add(_unkId); continue; }
            foreach (var b in Encoding.UTF8.GetBytes(piece)) ids.Add(_byteIds[b]);
        }

        void Push(int left, int right)
        {
            var len = length[left] + length[right];
            if (_mergeable.TryGetValue(text.Substring(start[left], len), out var m))
                agenda.Enqueue((left, right, len), (-m.Score, left));
        }
    }
}
