using MMInterp.Kernels.Artefacts;

namespace MMInterp.Silo.Work;

/// <summary>Size and modification time of one verified file: a cheap stat that says it has not been rewritten since.</summary>
public readonly record struct FileStamp(string Path, long Length, long LastWriteTicks)
{
    public static FileStamp Of(string path)
    {
        var info = new FileInfo(path);
        return new FileStamp(path, info.Exists ? info.Length : -1, info.Exists ? info.LastWriteTimeUtc.Ticks : 0);
    }

    public bool Unchanged => Of(Path) == this;
}

/// <summary>
/// Checks an unpacked directory against the manifest it was restored from: every listed file is there with its size
/// and sha256. Files the manifest does not list are left alone (nothing the loaders read is outside the manifest).
/// </summary>
public static class CachedDirectoryCheck
{
    /// <summary>The stamps of the verified files, or the first problem found (one line naming the file).</summary>
    public static async Task<(IReadOnlyList<FileStamp>? Stamps, string? Problem)> VerifyAsync(ArtefactManifest manifest, string directory, CancellationToken ct)
    {
        var stamps = new List<FileStamp>(manifest.Entries.Count);
        foreach (var e in manifest.Entries)
        {
            var path = Path.Combine(directory, e.Path);
            var stamp = FileStamp.Of(path);
            if (stamp.Length < 0) return (null, $"{e.Path} is missing");
            if (stamp.Length != e.Size) return (null, $"{e.Path} has {stamp.Length} bytes, the manifest {e.Size}");
            string actual;
            try
            {
                await using var s = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.Asynchronous | FileOptions.SequentialScan);
                actual = (await ArtefactHash.OfAsync(s, ct)).Sha256;
            }
            catch (Exception x) when (x is IOException or UnauthorizedAccessException)
            {
                return (null, $"{e.Path} cannot be read ({x.Message})");
            }
            if (actual != e.Sha256) return (null, $"{e.Path} hashes to {actual[..12]}..., the manifest says {e.Sha256[..12]}...");
            // Stamped before hashing: a write during the hash changes the time, so the next stat sees it.
            stamps.Add(stamp);
        }
        return (stamps, null);
    }
}
