using System.Security.Cryptography;

namespace MMInterp.Kernels.Artefacts;

/// <summary>
/// A directory of content-addressed files: content with sha256 <c>abcd...</c> lives at <c>root/ab/cd/abcd...</c>.
/// Writes go to a temp file under <c>root/.tmp</c> (same file system, so the rename is atomic), are fsynced, then
/// renamed into place; a reader therefore never sees a half-written file under a hash name. Every read verifies the
/// hash, so a damaged file raises <see cref="ArtefactCorruptedException"/> instead of being used.
/// Safe for concurrent writers (threads, processes, silos on a shared mount): the same content always lands at the
/// same path with the same bytes.
/// </summary>
public sealed class ArtefactStore
{
    const string TempDirName = ".tmp";
    const int BufferSize = 1 << 20;

    public string Root { get; }

    public ArtefactStore(string root)
    {
        if (string.IsNullOrWhiteSpace(root)) throw new ArgumentException("artefact store root is empty");
        Root = Path.GetFullPath(root);
        Directory.CreateDirectory(Path.Combine(Root, TempDirName));
    }

    /// <summary>Where the file for a hash lives (whether or not it exists).</summary>
    public string PathOf(string sha256)
    {
        var h = ArtefactHash.Validate(sha256);
        return Path.Combine(Root, h[..2], h[2..4], h);
    }

    /// <summary>Whether a file for the hash exists (not verified; reads verify).</summary>
    public bool Contains(string sha256) => File.Exists(PathOf(sha256));

    // ---- writes ----

    public async Task<ArtefactRef> PutAsync(Stream content, ArtefactKind kind, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        var temp = Path.Combine(Root, TempDirName, $"{Guid.NewGuid():N}.part");
        try
        {
            string sha;
            long size = 0;
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, BufferSize, FileOptions.Asynchronous))
            {
                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                var buffer = new byte[BufferSize];
                int n;
                while ((n = await content.ReadAsync(buffer, ct)) > 0)
                {
                    hash.AppendData(buffer, 0, n);
                    await file.WriteAsync(buffer.AsMemory(0, n), ct);
                    size += n;
                }
                sha = Convert.ToHexStringLower(hash.GetHashAndReset());
                file.Flush(flushToDisk: true);
            }
            await PublishAsync(temp, sha, size, ct);
            return new ArtefactRef(sha, size, kind);
        }
        finally
        {
            // Gone after a successful rename; left over when the write failed or another writer was first.
            TryDelete(temp);
        }
    }

    public async Task<ArtefactRef> PutAsync(ReadOnlyMemory<byte> content, ArtefactKind kind, CancellationToken ct = default)
    {
        // Wraps the caller's array when there is one, rather than copying a possibly large buffer.
        await using var s = System.Runtime.InteropServices.MemoryMarshal.TryGetArray(content, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(content.ToArray(), writable: false);
        return await PutAsync(s, kind, ct);
    }

    public async Task<ArtefactRef> PutFileAsync(string path, ArtefactKind kind, CancellationToken ct = default)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"cannot store {path}: no such file", path);
        await using var s = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize, FileOptions.Asynchronous | FileOptions.SequentialScan);
        return await PutAsync(s, kind, ct);
    }

    async Task PublishAsync(string temp, string sha, long size, CancellationToken ct)
    {
        var final = PathOf(sha);
        var dir = Path.GetDirectoryName(final)!;
        // The same content is already stored: nothing to do. A damaged copy (wrong size or hash) is replaced by the
        // fresh one, so writing again heals the store.
        if (await IsIntactAsync(final, sha, size, ct)) return;
        Directory.CreateDirectory(dir);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead); // immutable by intent
        // rename(2) replaces atomically: concurrent writers of the same content each install identical bytes.
        File.Move(temp, final, overwrite: true);
        DirectorySync.Fsync(dir);
    }

    // ---- reads (all verified) ----

    /// <summary>Reads the whole artefact into memory and checks its hash (and size, when known).</summary>
    public async Task<byte[]> ReadAllBytesAsync(string sha256, CancellationToken ct = default)
    {
        var path = ExistingPath(sha256, out var sha);
        var bytes = await File.ReadAllBytesAsync(path, ct);
        var actual = ArtefactHash.Of(bytes);
        if (actual != sha) throw new ArtefactCorruptedException(sha, path, $"content hashes to {actual} ({bytes.Length} bytes)");
        return bytes;
    }

    public Task<byte[]> ReadAllBytesAsync(ArtefactRef artefact, CancellationToken ct = default)
    {
        CheckSize(artefact);
        return ReadAllBytesAsync(artefact.Sha256, ct);
    }

    /// <summary>
    /// Checks the file and returns its path, for libraries that open files themselves (safetensors readers).
    /// The file is read-only by intent; callers must not write to it.
    /// </summary>
    public async Task<string> GetVerifiedPathAsync(string sha256, CancellationToken ct = default)
    {
        var path = ExistingPath(sha256, out var sha);
        await VerifyFileAsync(path, sha, ct);
        return path;
    }

    public Task<string> GetVerifiedPathAsync(ArtefactRef artefact, CancellationToken ct = default)
    {
        CheckSize(artefact);
        return GetVerifiedPathAsync(artefact.Sha256, ct);
    }

    /// <summary>Verifies the file, then opens it for reading (for content too large to hold in memory).</summary>
    public async Task<Stream> OpenReadAsync(string sha256, CancellationToken ct = default)
    {
        var path = await GetVerifiedPathAsync(sha256, ct);
        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize, FileOptions.Asynchronous | FileOptions.SequentialScan);
    }

    public Task<Stream> OpenReadAsync(ArtefactRef artefact, CancellationToken ct = default)
    {
        CheckSize(artefact);
        return OpenReadAsync(artefact.Sha256, ct);
    }

    /// <summary>Re-hashes a stored file; throws <see cref="ArtefactCorruptedException"/> when it does not match.</summary>
    public async Task VerifyAsync(string sha256, CancellationToken ct = default)
    {
        var path = ExistingPath(sha256, out var sha);
        await VerifyFileAsync(path, sha, ct);
    }

    /// <summary>Deletes temp files that crashed writers left behind (older than <paramref name="olderThan"/>).</summary>
    public int PurgeStaleTempFiles(TimeSpan olderThan)
    {
        var cutoff = DateTime.UtcNow - olderThan;
        var removed = 0;
        foreach (var f in new DirectoryInfo(Path.Combine(Root, TempDirName)).EnumerateFiles("*.part"))
            if (f.LastWriteTimeUtc < cutoff && TryDelete(f.FullName)) removed++;
        return removed;
    }

    static async Task<bool> IsIntactAsync(string path, string sha, long size, CancellationToken ct)
    {
        var existing = new FileInfo(path);
        if (!existing.Exists || existing.Length != size) return false;
        try
        {
            await VerifyFileAsync(path, sha, ct);
            return true;
        }
        catch (ArtefactCorruptedException)
        {
            return false;
        }
        catch (FileNotFoundException)
        {
            return false;
        }
    }

    static async Task VerifyFileAsync(string path, string sha, CancellationToken ct)
    {
        await using var s = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize, FileOptions.Asynchronous | FileOptions.SequentialScan);
        var (actual, size) = await ArtefactHash.OfAsync(s, ct);
        if (actual != sha) throw new ArtefactCorruptedException(sha, path, $"content hashes to {actual} ({size} bytes)");
    }

    string ExistingPath(string sha256, out string sha)
    {
        sha = ArtefactHash.Validate(sha256);
        var path = PathOf(sha);
        if (!File.Exists(path)) throw new ArtefactNotFoundException(sha, Root);
        return path;
    }

    // A truncated file is caught by the hash too; the size check just names the problem more plainly.
    void CheckSize(ArtefactRef artefact)
    {
        var path = ExistingPath(artefact.Sha256, out _);
        var length = new FileInfo(path).Length;
        if (length != artefact.Size)
            throw new ArtefactCorruptedException(artefact.Sha256, path, $"size is {length} bytes, expected {artefact.Size}");
    }

    static bool TryDelete(string path)
    {
        try { File.Delete(path); return true; }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }
}
