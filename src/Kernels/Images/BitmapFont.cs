namespace MMInterp.Kernels.Images;

/// <summary>A 3x5 pixel font (letters, digits, a few marks), five bytes per glyph (low three bits of each byte are one row, left pixel = bit 2).</summary>
public static class BitmapFont
{
    public const int GlyphWidth = 3;
    public const int GlyphHeight = 5;

    static readonly byte[][] Letters =
    [
        [2, 5, 7, 5, 5], [6, 5, 6, 5, 6], [3, 4, 4, 4, 3], [6, 5, 5, 5, 6], [7, 4, 6, 4, 7], [7, 4, 6, 4, 4],
        [3, 4, 5, 5, 3], [5, 5, 7, 5, 5], [7, 2, 2, 2, 7], [1, 1, 1, 5, 2], [5, 5, 6, 5, 5], [4, 4, 4, 4, 7],
        [5, 7, 7, 5, 5], [6, 5, 5, 5, 5], [2, 5, 5, 5, 2], [6, 5, 6, 4, 4], [2, 5, 5, 6, 3], [6, 5, 6, 5, 5],
        [3, 4, 2, 1, 6], [7, 2, 2, 2, 2], [5, 5, 5, 5, 7], [5, 5, 5, 5, 2], [5, 5, 7, 7, 5], [5, 5, 2, 5, 5],
        [5, 5, 2, 2, 2], [7, 1, 2, 4, 7],
    ];

    static readonly byte[][] Digits =
    [
        [7, 5, 5, 5, 7], [2, 6, 2, 2, 7], [7, 1, 7, 4, 7], [7, 1, 3, 1, 7], [5, 5, 7, 1, 1],
        [7, 4, 7, 1, 7], [7, 4, 7, 5, 7], [7, 1, 1, 2, 2], [7, 5, 7, 5, 7], [7, 5, 7, 1, 7],
    ];

    static readonly Dictionary<char, byte[]> Marks = new()
    {
        ['.'] = [0, 0, 0, 0, 2], ['-'] = [0, 0, 7, 0, 0], [':'] = [0, 2, 0, 2, 0], ['#'] = [5, 7, 5, 7, 5],
        ['?'] = [7, 1, 2, 0, 2], ['='] = [0, 7, 0, 7, 0], ['/'] = [1, 1, 2, 4, 4], ['_'] = [0, 0, 0, 0, 7],
        ['('] = [1, 2, 2, 2, 1], [')'] = [4, 2, 2, 2, 4], [','] = [0, 0, 0, 2, 4],
    };

    static byte[]? Glyph(char c)
    {
        c = char.ToLowerInvariant(c);
        if (c is >= 'a' and <= 'z') return Letters[c - 'a'];
        if (c is >= '0' and <= '9') return Digits[c - '0'];
        return Marks.GetValueOrDefault(c);
    }

    /// <summary>Font pixels per image pixel: 1 at 32x32, growing with the image.</summary>
    public static int Scale(int imageSize) => Math.Max(1, imageSize / 32);

    /// <summary>Width in font pixels: glyphs plus a one-pixel gap between letters; spaces are one glyph wide.</summary>
    public static int Width(string word) => word.Length == 0 ? 0 : word.Length * (GlyphWidth + 1) - 1;

    /// <summary>Whether the font pixel (col, row) of the word is ink.</summary>
    public static bool Ink(string word, int col, int row)
    {
        if (row < 0 || row >= GlyphHeight || col < 0) return false;
        var letter = col / (GlyphWidth + 1);
        var within = col % (GlyphWidth + 1);
        if (letter >= word.Length || within == GlyphWidth) return false;
        var glyph = Glyph(word[letter]);
        return glyph is not null && (glyph[row] >> (GlyphWidth - 1 - within) & 1) == 1;
    }
}
