using MMInterp.Kernels.Artefacts;

namespace MMInterp.Silo.Work;

/// <summary>
/// Unpacks stored directories (models, activation sets, datasets) once per machine under one layout,
/// {cache root}/dirs/{manifest sha256}: content-addressed, so every process and every model id naming the same files
/// shares one copy. Unpacking goes to a temp dir beside the target that is renamed into place, under a lock file that
/// the OS releases when its process dies: a crash mid-restore leaves no half directory, and the next restore of that
/// target (which alone holds the lock) removes the crashed one's temp dir.
/// </summary>
public sealed class ArtefactCache(ArtefactStore store, WorkOptions options)
{
    const string TempMarker = ".tmp-";
    static readonly TimeSpan LockPoll = TimeSpan.FromMilliseconds(100);
    readonly SemaphoreSlim _gate = new(1, 1);

    public ArtefactStore Store => store;

    /// <summary>Where the directory of <paramref name="manifestSha256"/> is (or will be) unpacked.</summary>
    public string PathOf(string manifestSha256) => Path.Combine(options.CacheRoot, "dirs", ArtefactHash.Validate(manifestSha256));

    public async Task<string> DirectoryAsync(string manifestSha256, CancellationToken ct)
    {
        var target = PathOf(manifestSha256);
        if (Directory.Exists(target)) return target;
        await _gate.WaitAsync(ct);
        try
        {
            if (Directory.Exists(target)) return target;
            await using var held = await LockAsync(Path.Combine(options.CacheRoot, "locks", $"{Path.GetFileName(target)}.lock"), ct);
            if (Directory.Exists(target)) return target; // another process unpacked it while this one waited
            RemoveLeftovers(target);
            var temp = $"{target}{TempMarker}{Guid.NewGuid():N}";
            try
            {
                await store.RestoreDirectoryAsync(manifestSha256, temp, ct);
                Directory.Move(temp, target);
            }
            catch
            {
                TryDelete(temp);
                throw;
            }
            return target;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Temp dirs of restores of <paramref name="target"/> that died: while the lock is held no restore of it runs.</summary>
    static void RemoveLeftovers(string target)
    {
        var parent = Path.GetDirectoryName(target)!;
        if (!Directory.Exists(parent)) return;
        foreach (var dir in Directory.EnumerateDirectories(parent, $"{Path.GetFileName(target)}{TempMarker}*")) TryDelete(dir);
    }

    static void TryDelete(string dir)
    {
        try { if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>
    /// An exclusive lock on <paramref name="path"/> across processes (.NET takes an advisory flock for FileShare.None on
    /// Unix and a share lock on Windows; both end with the process). The file stays: deleting a lock file others may
    /// be waiting on would let two holders in.
    /// </summary>
    static async Task<FileStream> LockAsync(string path, CancellationToken ct)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                await Task.Delay(LockPoll, ct);
            }
        }
    }
}
