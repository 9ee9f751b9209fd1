namespace MMInterp.Kernels.Text;

/// <summary>Cuts text into added tokens and the plain text between them, leftmost-longest as HF does (the slow
/// tokenisers' Trie, the tokenizers library's added vocabulary), so "&lt;image&gt;" in a prompt becomes its one id and
/// never reaches SentencePiece or BPE.</summary>
public sealed class AddedTokenSplitter
{
    readonly AddedToken[] _byLength;

    public AddedTokenSplitter(IEnumerable<AddedToken> tokens) =>
        _byLength = tokens.Where(t => t.Content.Length > 0).OrderByDescending(t => t.Content.Length).ToArray();

    /// <summary>The pieces in order: (null, text) for plain text, (token, its content) for an added token.</summary>
    public IEnumerable<(AddedToken? Token, string Text)> Split(string text)
    {
        var start = 0;
        var i = 0;
        while (i < text.Length)
        {
            var match = Longest(text, i);
            if (match is null) { i++; continue; }
            if (start < i) yield return (null, text[start..i]);
            yield return (match, match.Content);
            i += match.Content.Length;
            start = i;
        }
        if (start < text.Length) yield return (null, text[start..]);
    }

    AddedToken? Longest(string text, int at)
    {
        foreach (var t in _byLength)
            if (string.CompareOrdinal(text, at, t.Content, 0, t.Content.Length) == 0 && at + t.Content.Length <= text.Length)
                return t;
        return null;
    }
}
