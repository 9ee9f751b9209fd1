using static TorchSharp.torch;

namespace MMInterp.Kernels.Extraction;

/// <summary>Which token positions of a vision hook count: every token (the default, as before), the patch tokens only,
/// or the class token only. Token 0 of a CLIP vision stream is the class token; the pooled hook
/// (<c>vision.hook_pooled</c>) is a one-token stream whose token is the (post-normed) class token, so there "cls" and
/// "all" are the same and "patch" selects nothing.</summary>
public enum TokenSelection { All, Patch, Cls }

/// <summary>Names, parsing and slicing of <see cref="TokenSelection"/>: the one place extraction and every CLIP analysis
/// cut tokens.</summary>
public static class TokenSelections
{
    /// <summary>The names a user writes (--tokens, options JSON, an activation set's record).</summary>
    public static IReadOnlyList<string> Names { get; } = ["all", "patch", "cls"];

    public static string Name(this TokenSelection t) => t switch
    {
        TokenSelection.All => "all",
        TokenSelection.Patch => "patch",
        TokenSelection.Cls => "cls",
        _ => throw new ArgumentOutOfRangeException(nameof(t), t, "unknown token selection"),
    };

    /// <summary>The selection <paramref name="name"/> names (null or empty: all); an ArgumentException in one line naming
    /// the valid ones otherwise.</summary>
    public static TokenSelection Parse(string? name) => (name?.Trim().ToLowerInvariant()) switch
    {
        null or "" or "all" => TokenSelection.All,
        "patch" or "patches" => TokenSelection.Patch,
        "cls" or "class" => TokenSelection.Cls,
        _ => throw new ArgumentException($"tokens '{name}' is not a token selection; use one of {string.Join(", ", Names)}"),
    };

    /// <summary>How a record stores a selection: null for all (what records written before the option mean).</summary>
    public static string? Stored(this TokenSelection t) => t == TokenSelection.All ? null : t.Name();

    /// <summary>Whether <paramref name="part"/>'s tokens are among <paramref name="whole"/>'s: an SAE trained on all
    /// tokens may be studied on the patch or class tokens, one trained on the class token only there.</summary>
    public static bool Covers(this TokenSelection whole, TokenSelection part) => whole == TokenSelection.All || whole == part;

    /// <summary>The selected positions [Start, Start+Count) among <paramref name="tokens"/> (dimension 1 of a vision hook's
    /// activation); an ArgumentException naming the hook when nothing is left (patch tokens of a one-token stream).</summary>
    public static (long Start, long Count) Range(this TokenSelection t, long tokens, string hook)
    {
        if (tokens < 1) throw new ArgumentException($"hook '{hook}' has no tokens");
        return t switch
        {
            TokenSelection.All => (0, tokens),
            TokenSelection.Cls => (0, 1),
            TokenSelection.Patch when tokens > 1 => (1, tokens - 1),
            TokenSelection.Patch => throw new ArgumentException($"hook '{hook}' holds only the class token: tokens 'patch' selects nothing there; use all or cls"),
            _ => throw new ArgumentOutOfRangeException(nameof(t), t, "unknown token selection"),
        };
    }

    /// <summary>The selected tokens of <paramref name="activation"/> [B, T, ...] (a view; all of it for <see cref="TokenSelection.All"/>).</summary>
    public static Tensor Select(this TokenSelection t, Tensor activation, string hook)
    {
        if (t == TokenSelection.All) return activation;
        if (activation.dim() < 3) throw new ArgumentException($"hook '{hook}' activation [{string.Join(",", activation.shape)}] has no token dimension");
        var (start, count) = t.Range(activation.shape[1], hook);
        return activation.narrow(1, start, count);
    }

    /// <summary><paramref name="activation"/> [B, T, ..., d] with <paramref name="delta"/> (broadcastable to it) added on the
    /// selected tokens only.</summary>
    public static Tensor AddOn(this TokenSelection t, Tensor activation, Tensor delta, string hook)
    {
        if (t == TokenSelection.All) return activation + delta;
        var (start, count) = t.Range(activation.shape[1], hook);
        var output = activation.clone();
        var part = output.narrow(1, start, count);
        part.add_(delta.expand_as(activation).narrow(1, start, count));
        return output;
    }
}
