using System.Collections.Concurrent;
using MMInterp.Kernels.Artefacts;
using MMInterp.Kernels.Checkpoints;
using Microsoft.Extensions.Logging;

namespace MMInterp.Silo.Work;

/// <summary>
/// Unpacks stored directories (models, activation sets, datasets) once per machine under one layout,
/// {cache root}/dirs/{manifest sha256}: content-addressed, so every process and every model id naming the same files
/// shares one copy. Unpacking goes to a temp dir beside the target that is renamed into place, under a lock file that
/// the OS releases when its process dies: a crash mid-restore leaves no half directory, and the next restore of that
/// target (which alone holds the lock) removes the crashed one's temp dir.
/// A cached copy is only as good as the disk under it, so the first use of a directory by this cache (one per process)
/// re-hashes every file against the manifest; later uses stat the files and re-hash only when a size or modification
/// time changed. A copy that does not match is discarded and restored again from the store (which verifies its reads).
/// </summary>
public sealed class ArtefactCache(ArtefactStore store, WorkOptions options, ILogger<ArtefactCache>? logger = null)
{
    const string TempMarker = ".tmp-";
    static readonly TimeSpan LockPoll = TimeSpan.FromMilliseconds(100);
    readonly SemaphoreSlim _gate = new(1, 1);
    // Target dir -> the stamps of its files when this cache last verified them.
    readonly ConcurrentDictionary<string, IReadOnlyList<FileStamp>> _verified = new(StringComparer.Ordinal);

    public ArtefactStore Store => store;

    /// <summary>Copies found damaged and restored again by this cache (what it logged, one line each).</summary>
    public IReadOnlyCollection<string> Repairs => _repairs;
    readonly ConcurrentQueue<string> _repairs = new();

    /// <summary>Where the directory of <paramref name="manifestSha256"/> is (or will be) unpacked.</summary>
    /// <summary>Attribute oracles trained for models the zoo did not train (a diffusers pipeline's), kept per silo.</summary>
    public AttributeOracleCache Oracles => new(Path.Combine(options.CacheRoot, "oracles"), options.OracleSteps);

    public string PathOf(string manifestSha256) => Path.Combine(options.CacheRoot, "dirs", ArtefactHash.Validate(manifestSha256));

    /// <summary>The verified local copy of a stored directory, restored from the store when absent or damaged.</summary>
    public async Task<string> DirectoryAsync(string manifestSha256, CancellationToken ct)
    {
        var target = PathOf(manifestSha256);
        if (_verified.TryGetValue(target, out var stamps) && stamps.All(s => s.Unchanged)) return target;
        await _gate.WaitAsync(ct);
        try
        {
            ArtefactManifest? manifest = null;
            if (Directory.Exists(target))
            {
                manifest = await ManifestAsync(manifestSha256, ct);
                if (await IsIntactAsync(manifest, target, ct)) return target;
            }
            await using var held = await LockAsync(LockPath(Path.GetFileName(target)), ct);
            if (Directory.Exists(target))
            {
                // Another process may have restored (or repaired) it while this one waited.
                manifest ??= await ManifestAsync(manifestSha256, ct);
                var (_, problem) = await VerifyAsync(manifest, target, ct);
                if (problem is null) return target;
                Repaired(manifestSha256, target, problem);
                Discard(target);
            }
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
            // The restore copied bytes the store had just verified; stamp them without hashing them again.
            manifest ??= await ManifestAsync(manifestSha256, ct);
            _verified[target] = manifest.Entries.Select(e => FileStamp.Of(Path.Combine(target, e.Path))).ToList();
            return target;
        }
        finally
        {
            _gate.Release();
        }
    }

    async Task<bool> IsIntactAsync(ArtefactManifest manifest, string target, CancellationToken ct) =>
        (await VerifyAsync(manifest, target, ct)).Problem is null;

    async Task<(IReadOnlyList<FileStamp>? Stamps, string? Problem)> VerifyAsync(ArtefactManifest manifest, string target, CancellationToken ct)
    {
        var (stamps, problem) = await CachedDirectoryCheck.VerifyAsync(manifest, target, ct);
        if (stamps is not null) _verified[target] = stamps;
        else _verified.TryRemove(target, out _);
        return (stamps, problem);
    }

    Task<ArtefactManifest> ManifestAsync(string manifestSha256, CancellationToken ct) => store.ReadManifestAsync(manifestSha256, ct);

    void Repaired(string manifestSha256, string target, string problem)
    {
        var line = $"cached copy of artefact {manifestSha256} at {target} is damaged ({problem}); restoring it from the store";
        _repairs.Enqueue(line);
        logger?.LogWarning("{Line}", line);
    }

    /// <summary>Moves a damaged copy aside in one rename (a reader never sees it half deleted), then deletes it.</summary>
    static void Discard(string target)
    {
        var aside = $"{target}{TempMarker}damaged-{Guid.NewGuid():N}";
        Directory.Move(target, aside);
        TryDelete(aside);
    }

    /// <summary>Temp dirs of restores of <paramref name="target"/> that died: while the lock is held no restore of it runs.
    /// Also those of other targets whose lock is free (their process died and nothing has restored them since), so a
    /// crash's temp dir does not wait for the next restore of the same artefact to be removed.</summary>
    void RemoveLeftovers(string target)
    {
        var parent = Path.GetDirectoryName(target)!;
        if (!Directory.Exists(parent)) return;
        foreach (var dir in Directory.EnumerateDirectories(parent, $"*{TempMarker}*"))
        {
            var name = Path.GetFileName(dir);
            var owner = name[..name.IndexOf(TempMarker, StringComparison.Ordinal)];
            if (owner == Path.GetFileName(target))
            {
                TryDelete(dir);
                continue;
            }
            using var free = TryLock(LockPath(owner));
            if (free is not null) TryDelete(dir);
        }
    }

    string LockPath(string targetName) => Path.Combine(options.CacheRoot, "locks", $"{targetName}.lock");

    static FileStream? TryLock(string path)
    {
        try { return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
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
