namespace MMInterp.Kernels.Artefacts;

/// <summary>Whole directories in the store: each file stored on its own, plus a manifest naming them.</summary>
public static class ArtefactDirectories
{
    /// <summary>Stores every file under <paramref name="directory"/> (recursively) and returns the manifest's address.</summary>
    public static Task<ArtefactRef> PutDirectoryAsync(this ArtefactStore store, string directory, CancellationToken ct = default)
    {
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"cannot store {directory}: no such directory");
        var root = Path.GetFullPath(directory);
        return store.PutFilesAsync(root, Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories), ct);
    }

    /// <summary>Stores the given files of <paramref name="directory"/> (e.g. a checkpoint's files without the
    /// formats it is not read in) under their paths relative to it, and returns the manifest's address.</summary>
    public static async Task<ArtefactRef> PutFilesAsync(this ArtefactStore store, string directory, IEnumerable<string> files, CancellationToken ct = default)
    {
        var root = Path.GetFullPath(directory);
        var entries = new List<ManifestEntry>();
        foreach (var file in files.Select(f => Path.GetFullPath(f, root)).Distinct().Order(StringComparer.Ordinal))
        {
            var relative = Path.GetRelativePath(root, file).Replace(Path.DirectorySeparatorChar, '/');
            if (relative.StartsWith("../", StringComparison.Ordinal) || Path.IsPathRooted(relative))
                throw new ArgumentException($"cannot store {file}: it is not under {root}");
            var kind = ArtefactKind.FromFileName(file);
            var stored = await store.PutFileAsync(file, kind, ct);
            entries.Add(new ManifestEntry(relative, stored.Sha256, stored.Size, kind.Name));
        }
        return await store.PutAsync(new ArtefactManifest(entries).ToJsonBytes(), ArtefactKind.Manifest, ct);
    }

    /// <summary>Reads and checks a manifest artefact.</summary>
    public static async Task<ArtefactManifest> ReadManifestAsync(this ArtefactStore store, string manifestSha256, CancellationToken ct = default) =>
        ArtefactManifest.Parse(await store.ReadAllBytesAsync(manifestSha256, ct));

    /// <summary>
    /// Verified paths of a manifest's files, by relative path, for readers that take a path per file
    /// (safetensors, tokenizer files) and need no copy.
    /// </summary>
    public static async Task<IReadOnlyDictionary<string, string>> GetVerifiedPathsAsync(this ArtefactStore store, string manifestSha256, CancellationToken ct = default)
    {
        var manifest = await store.ReadManifestAsync(manifestSha256, ct);
        var paths = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var e in manifest.Entries)
            paths[e.Path] = await store.GetVerifiedPathAsync(new ArtefactRef(e.Sha256, e.Size, new ArtefactKind(e.Kind)), ct);
        return paths;
    }

    /// <summary>
    /// Copies a stored directory out to <paramref name="target"/> (created; must be empty or absent), verifying
    /// every file, for libraries that want a directory path.
    /// </summary>
    public static async Task RestoreDirectoryAsync(this ArtefactStore store, string manifestSha256, string target, CancellationToken ct = default)
    {
        var manifest = await store.ReadManifestAsync(manifestSha256, ct);
        var root = Path.GetFullPath(target);
        if (Directory.Exists(root) && Directory.EnumerateFileSystemEntries(root).Any())
            throw new IOException($"cannot restore artefact {manifestSha256} into {root}: directory is not empty");
        Directory.CreateDirectory(root);
        foreach (var e in manifest.Entries)
        {
            var destination = Path.GetFullPath(Path.Combine(root, e.Path));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            await using var source = await store.OpenReadAsync(new ArtefactRef(e.Sha256, e.Size, new ArtefactKind(e.Kind)), ct);
            await using var file = new FileStream(destination, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20, FileOptions.Asynchronous);
            await source.CopyToAsync(file, ct);
        }
    }
}
