using MMInterp.Kernels.Artefacts;

namespace MMInterp.Kernels.Tests.Artefacts;

/// <summary>An artefact store in a fresh temp directory, deleted afterwards.</summary>
public sealed class TempStore : IDisposable
{
    public string Root { get; } = Path.Combine(Path.GetTempPath(), $"mminterp-artefacts-{Guid.NewGuid():N}");
    public ArtefactStore Store { get; }

    public TempStore() => Store = new ArtefactStore(Root);

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }

    public static void MakeWritable(string path)
    {
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    public static byte[] RandomBytes(int n, int seed)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }
}
