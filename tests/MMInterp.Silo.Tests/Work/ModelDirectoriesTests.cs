using MMInterp.Grains.Registry;
using MMInterp.Kernels.Artefacts;
using MMInterp.Silo.Storage;
using MMInterp.Silo.Work;
using Xunit;

namespace MMInterp.Silo.Tests.Work;

/// <summary>
/// The one model resolver and the cache under it: one layout ({cache}/dirs/{manifest sha256}) whoever asks, and a
/// restore that fails or dies half way leaves neither a half directory nor its temp dir behind.
/// </summary>
public sealed class ModelDirectoriesTests : IDisposable
{
    readonly string _home = Path.Combine(Path.GetTempPath(), $"mminterp-resolver-{Guid.NewGuid():N}");
    readonly WorkOptions _work;
    readonly ArtefactStore _store;

    public ModelDirectoriesTests()
    {
        _work = new WorkOptions(Path.Combine(_home, "artefacts"), Path.Combine(_home, "cache"));
        _store = new ArtefactStore(_work.ArtefactRoot);
    }

    public void Dispose()
    {
        try { Directory.Delete(_home, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task ARestoreThatFailsHalfWayLeavesNoDirectoryAndTheNextOneCleansUpACrashedTemp()
    {
        var (manifest, source) = await StoreModelDirectory();
        var cache = new ArtefactCache(_store, _work);
        var target = cache.PathOf(manifest.Sha256);
        Assert.Equal(Path.Combine(_work.CacheRoot, "dirs", manifest.Sha256), target);

        // A process that died while restoring: its temp dir is left beside the target, half written.
        var crashed = $"{target}.tmp-{Guid.NewGuid():N}";
        Directory.CreateDirectory(crashed);
        await File.WriteAllTextAsync(Path.Combine(crashed, "config.json"), "{\"half");

        // A restore that fails half way (the weights are missing from the store after the config was copied).
        var weights = (await _store.ReadManifestAsync(manifest.Sha256)).Entries.Single(e => e.Path == "weights/model.bin");
        var moved = _store.PathOf(weights.Sha256) + ".aside";
        File.Move(_store.PathOf(weights.Sha256), moved);
        await Assert.ThrowsAnyAsync<Exception>(() => cache.DirectoryAsync(manifest.Sha256, default));
        Assert.False(Directory.Exists(target), "a failed restore left a directory under the target");
        Assert.Empty(Leftovers());

        // Once the store is whole again the directory is restored complete, and nothing else is left.
        File.Move(moved, _store.PathOf(weights.Sha256));
        Assert.Equal(target, await cache.DirectoryAsync(manifest.Sha256, default));
        AssertSameFiles(source, target);
        Assert.Empty(Leftovers());
    }

    [Fact]
    public async Task TwoCachesRestoringAtOnceShareOneCompleteDirectory()
    {
        var (manifest, source) = await StoreModelDirectory();
        // Two caches on one root stand for two processes (a silo and a CLI command) on one machine.
        var paths = await Task.WhenAll(Enumerable.Range(0, 4).Select(i =>
            new ArtefactCache(_store, _work).DirectoryAsync(manifest.Sha256, default)));
        Assert.Single(paths.Distinct());
        AssertSameFiles(source, paths[0]);
        Assert.Empty(Leftovers());
    }

    [Fact]
    public async Task ARegisteredModelResolvesToTheCacheLayoutAndTheWrongFamilyOrIdIsNamed()
    {
        await using var pg = await LocalPostgres.StartThrowawayAsync();
        await Migrations.ApplyAsync(pg.ConnectionString);
        await using var registry = RegistryStore.Create(pg.ConnectionString);
        var (_, source) = await StoreModelDirectory();
        var model = await ModelRegistration.RegisterDirectoryAsync(_store, registry, "m-1", "resolver test", ModelFamily.Vlm, source, "{}");

        var cache = new ArtefactCache(_store, _work);
        var models = new ModelDirectories(registry, cache);
        var (record, dir) = await models.ResolveAsync("m-1", ModelFamily.Vlm, default);
        Assert.Equal(model.Id, record.Id);
        Assert.Equal(cache.PathOf(model.CheckpointSha256!), dir);
        AssertSameFiles(source, dir);
        Assert.Equal(model.Id, (await models.BuiltAsync("m-1", default))?.Id);
        Assert.Null(await models.BuiltAsync("m-2", default));

        var wrong = await Assert.ThrowsAsync<ArgumentException>(() => models.DirectoryAsync("m-1", ModelFamily.Diffusion, default, "this analysis needs a diffusion model"));
        Assert.Equal("model 'm-1' is a vlm model; this analysis needs a diffusion model", wrong.Message);
        var missing = await Assert.ThrowsAsync<ArgumentException>(() => models.DirectoryAsync("m-2", null, default));
        Assert.Contains("'m-2' is not registered", missing.Message);
    }

    [Fact]
    public async Task ACachedModelFileWithOneBitFlippedIsDetectedAndRestoredFromTheStore()
    {
        await using var pg = await LocalPostgres.StartThrowawayAsync();
        await Migrations.ApplyAsync(pg.ConnectionString);
        await using var registry = RegistryStore.Create(pg.ConnectionString);
        var (_, source) = await StoreModelDirectory();
        await ModelRegistration.RegisterDirectoryAsync(_store, registry, "m-1", "cache integrity test", ModelFamily.Vlm, source, "{}");
        var dir = await new ModelDirectories(registry, new ArtefactCache(_store, _work)).DirectoryAsync("m-1", ModelFamily.Vlm, default);
        var weights = Path.Combine(dir, "weights", "model.bin");

        // Bit rot: one bit flips and the file keeps its size and modification time. The next process notices.
        FlipBit(weights, keepTime: true);
        var next = new ArtefactCache(_store, _work);
        Assert.Equal(dir, await new ModelDirectories(registry, next).DirectoryAsync("m-1", ModelFamily.Vlm, default));
        AssertSameFiles(source, dir);
        Assert.Contains("weights/model.bin hashes to", Assert.Single(next.Repairs));
        Assert.Empty(Leftovers());

        // A rewrite inside this process changes the file's time: the same cache re-hashes it on its next use.
        FlipBit(weights, keepTime: false);
        Assert.Equal(dir, await new ModelDirectories(registry, next).DirectoryAsync("m-1", ModelFamily.Vlm, default));
        AssertSameFiles(source, dir);
        Assert.Equal(2, next.Repairs.Count);

        // An intact copy is used as it is.
        var third = new ArtefactCache(_store, _work);
        Assert.Equal(dir, await third.DirectoryAsync((await registry.Models.GetAsync("m-1", default))!.CheckpointSha256!, default));
        Assert.Empty(third.Repairs);
    }

    [Fact]
    public async Task ADamagedCopyWhoseRepairFailsIsNotUsedAndLeavesNoTempDirectory()
    {
        var (manifest, source) = await StoreModelDirectory();
        var dir = await new ArtefactCache(_store, _work).DirectoryAsync(manifest.Sha256, default);
        await File.WriteAllTextAsync(Path.Combine(dir, "config.json"), "{\"hidden_size\": 9}"); // same length, other bytes

        // The store has lost the weights too: the repair fails, and neither the damaged copy nor a temp dir remains.
        var weights = (await _store.ReadManifestAsync(manifest.Sha256)).Entries.Single(e => e.Path == "weights/model.bin");
        var moved = _store.PathOf(weights.Sha256) + ".aside";
        File.Move(_store.PathOf(weights.Sha256), moved);
        await Assert.ThrowsAnyAsync<IOException>(() => new ArtefactCache(_store, _work).DirectoryAsync(manifest.Sha256, default));
        Assert.False(Directory.Exists(dir), "the damaged copy is still there to be used");
        Assert.Empty(Leftovers());

        File.Move(moved, _store.PathOf(weights.Sha256));
        Assert.Equal(dir, await new ArtefactCache(_store, _work).DirectoryAsync(manifest.Sha256, default));
        AssertSameFiles(source, dir);
    }

    [Fact]
    public async Task ARestoreAlsoRemovesACrashedTempDirOfAnotherArtefactWhoseLockIsFree()
    {
        var (manifest, _) = await StoreModelDirectory();
        var cache = new ArtefactCache(_store, _work);
        var other = cache.PathOf(new string('b', 64));
        var crashed = $"{other}.tmp-{Guid.NewGuid():N}";
        Directory.CreateDirectory(crashed);
        await File.WriteAllTextAsync(Path.Combine(crashed, "half.bin"), "half");

        await cache.DirectoryAsync(manifest.Sha256, default);
        Assert.False(Directory.Exists(crashed), "a crashed restore's temp dir outlived the next restore");
        Assert.Empty(Leftovers());
    }

    static void FlipBit(string path, bool keepTime)
    {
        var time = File.GetLastWriteTimeUtc(path);
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 0x10;
        File.WriteAllBytes(path, bytes);
        File.SetLastWriteTimeUtc(path, keepTime ? time : time.AddSeconds(5));
    }

    async Task<(ArtefactRef Manifest, string Source)> StoreModelDirectory()
    {
        var source = Path.Combine(_home, "model");
        Directory.CreateDirectory(Path.Combine(source, "weights"));
        await File.WriteAllTextAsync(Path.Combine(source, "config.json"), "{\"hidden_size\": 8}");
        await File.WriteAllBytesAsync(Path.Combine(source, "weights", "model.bin"), Enumerable.Range(0, 4096).Select(i => (byte)i).ToArray());
        return (await _store.PutDirectoryAsync(source), source);
    }

    IEnumerable<string> Leftovers()
    {
        var dirs = Path.Combine(_work.CacheRoot, "dirs");
        return Directory.Exists(dirs) ? Directory.EnumerateDirectories(dirs, "*.tmp-*") : [];
    }

    static void AssertSameFiles(string expected, string actual)
    {
        static IEnumerable<string> Files(string root) => Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(root, f)).Order(StringComparer.Ordinal);
        Assert.Equal(Files(expected), Files(actual));
        foreach (var file in Files(expected))
            Assert.Equal(File.ReadAllBytes(Path.Combine(expected, file)), File.ReadAllBytes(Path.Combine(actual, file)));
    }
}
