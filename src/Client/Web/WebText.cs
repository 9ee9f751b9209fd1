namespace MMInterp.Client.Web;

/// <summary>Checks on text from a request: .NET strings may hold unpaired surrogates, which no encoder (nor
/// PostgreSQL) accepts, and control characters, which do not belong in a label or an error line.</summary>
public static class WebText
{
    /// <summary>Index of the first unpaired surrogate, or -1.</summary>
    public static int LoneSurrogate(string s)
    {
        for (var i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) i++;
            else if (char.IsSurrogate(s[i])) return i;
        }
        return -1;
    }

    /// <summary>The text with control characters and unpaired surrogates shown as '?' (for echoing a value back).</summary>
    public static string Printable(string s)
    {
        var chars = s.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (char.IsHighSurrogate(chars[i]) && i + 1 < chars.Length && char.IsLowSurrogate(chars[i + 1])) i++;
            else if (char.IsSurrogate(chars[i]) || char.IsControl(chars[i])) chars[i] = '?';
        }
        return new string(chars);
    }
}
