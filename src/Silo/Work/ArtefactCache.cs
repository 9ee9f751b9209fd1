using MMInterp.Kernels.Artefacts;

namespace MMInterp.Silo.Work;

/// <summary>
/// Unpacks stored directories (models, activation sets) once per silo under the cache root, keyed by manifest hash.
/// Unpacking goes to a temp dir that is renamed into place, so a crash never leaves a half-written directory behind.
/// </summary>
public sealed class ArtefactCache(ArtefactStore store, WorkOptions options)
{
    readonly SemaphoreSlim _gate = new(1, 1);

    public ArtefactStore Store => store;

    public async Task<string> DirectoryAsync(string manifestSha256, CancellationToken ct)
    {
        var target = Path.Combine(options.CacheRoot, "dirs", manifestSha256);
        if (Directory.Exists(target)) return target;
        await _gate.WaitAsync(ct);
        try
        {
            if (Directory.Exists(target)) return target;
            var temp = $"{target}.tmp-{Guid.NewGuid():N}";
            await store.RestoreDirectoryAsync(manifestSha256, temp, ct);
            try
            {
                Directory.Move(temp, target);
            }
            catch (IOException) when (Directory.Exists(target))
            {
                // Silo processes on one machine share the default cache root: another one unpacked the same
                // (content-addressed, hence identical) directory first. Use theirs.
                try { Directory.Delete(temp, recursive: true); } catch (IOException) { }
            }
            return target;
        }
        finally
        {
            _gate.Release();
        }
    }
}
