namespace MMInterp.Kernels.Text;

/// <summary>GPT-2/CLIP's reversible byte -> printable-character table used by byte-level BPE vocabularies.</summary>
public static class ByteUnicode
{
    public static readonly char[] ByteToChar = Build();

    static char[] Build()
    {
        var map = new char[256];
        var printable = new bool[256];
        for (var b = '!'; b <= '~'; b++) printable[b] = true;
        for (var b = 0xA1; b <= 0xAC; b++) printable[b] = true;
        for (var b = 0xAE; b <= 0xFF; b++) printable[b] = true;
        var next = 0;
        for (var b = 0; b < 256; b++) map[b] = printable[b] ? (char)b : (char)(256 + next++);
        return map;
    }
}
