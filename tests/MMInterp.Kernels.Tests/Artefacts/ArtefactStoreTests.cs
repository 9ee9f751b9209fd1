using System.Security.Cryptography;
using MMInterp.Kernels.Artefacts;
using Xunit;

namespace MMInterp.Kernels.Tests.Artefacts;

public class ArtefactStoreTests : IDisposable
{
    readonly TempStore _t = new();
    ArtefactStore Store => _t.Store;

    public void Dispose() => _t.Dispose();

    [Fact]
    public async Task BytesRoundTripUnderTheirSha256Path()
    {
        var content = TempStore.RandomBytes(3_000_000, 1); // spans several 1 MiB buffers
        var r = await Store.PutAsync(content, ArtefactKind.Safetensors);

        var expected = Convert.ToHexStringLower(SHA256.HashData(content));
        Assert.Equal(expected, r.Sha256);
        Assert.Equal(content.Length, r.Size);
        Assert.Equal(ArtefactKind.Safetensors, r.Kind);
        Assert.Equal(Path.Combine(_t.Root, expected[..2], expected[2..4], expected), Store.PathOf(r.Sha256));
        Assert.Equal(content, await Store.ReadAllBytesAsync(r));
        await using var s = await Store.OpenReadAsync(r);
        var copy = new MemoryStream();
        await s.CopyToAsync(copy);
        Assert.Equal(content, copy.ToArray());
        Assert.Empty(Directory.GetFiles(Path.Combine(_t.Root, ".tmp")));
        if (OperatingSystem.IsLinux()) Assert.True(DirectorySync.Available); // the rename was made durable, not skipped
    }

    [Fact]
    public void DirectoryFsyncReportsAMissingDirectory()
    {
        var e = Assert.Throws<IOException>(() => DirectorySync.Fsync(Path.Combine(_t.Root, "no-such-dir")));
        Assert.Contains("no-such-dir", e.Message);
    }

    [Fact]
    public async Task EmptyContentAndFilesAndStreamsAgree()
    {
        var empty = await Store.PutAsync(ReadOnlyMemory<byte>.Empty, ArtefactKind.Binary);
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", empty.Sha256);
        Assert.Empty(await Store.ReadAllBytesAsync(empty));

        var content = TempStore.RandomBytes(10_000, 2);
        var file = Path.Combine(_t.Root, "outside.bin");
        await File.WriteAllBytesAsync(file, content);
        var fromFile = await Store.PutFileAsync(file, ArtefactKind.Binary);
        var fromStream = await Store.PutAsync(new MemoryStream(content), ArtefactKind.Binary);
        Assert.Equal(fromFile, fromStream);
        Assert.Equal(content, await File.ReadAllBytesAsync(await Store.GetVerifiedPathAsync(fromFile)));

        // A slice of a larger array stores exactly the slice.
        var slice = await Store.PutAsync(content.AsMemory(100, 1_000), ArtefactKind.Binary);
        Assert.Equal(ArtefactHash.Of(content.AsSpan(100, 1_000)), slice.Sha256);
        Assert.Equal(content[100..1_100], await Store.ReadAllBytesAsync(slice));
    }

    [Fact]
    public async Task WritingTheSameContentTwiceIsIdempotent()
    {
        var content = TempStore.RandomBytes(50_000, 3);
        var a = await Store.PutAsync(content, ArtefactKind.Binary);
        var path = Store.PathOf(a.Sha256);
        var writtenAt = File.GetLastWriteTimeUtc(path);
        var b = await Store.PutAsync(content, ArtefactKind.Binary);

        Assert.Equal(a, b);
        Assert.Equal(writtenAt, File.GetLastWriteTimeUtc(path)); // left alone, not rewritten
        Assert.Single(Directory.GetFiles(_t.Root, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task AFlippedByteIsReportedNeverReturned()
    {
        var r = await Store.PutAsync(TempStore.RandomBytes(20_000, 4), ArtefactKind.Safetensors);
        var path = Store.PathOf(r.Sha256);
        Damage(path, bytes => bytes[12_345] ^= 0x01);

        var e1 = await Assert.ThrowsAsync<ArtefactCorruptedException>(() => Store.ReadAllBytesAsync(r));
        Assert.Equal(r.Sha256, e1.Sha256);
        Assert.Equal(path, e1.FilePath);
        Assert.Contains(r.Sha256, e1.Message);
        Assert.Contains(path, e1.Message);
        await Assert.ThrowsAsync<ArtefactCorruptedException>(() => Store.GetVerifiedPathAsync(r.Sha256));
        await Assert.ThrowsAsync<ArtefactCorruptedException>(() => Store.OpenReadAsync(r));
        await Assert.ThrowsAsync<ArtefactCorruptedException>(() => Store.VerifyAsync(r.Sha256));
    }

    [Fact]
    public async Task ATruncatedFileIsReportedWithOrWithoutItsSize()
    {
        var r = await Store.PutAsync(TempStore.RandomBytes(20_000, 5), ArtefactKind.Binary);
        var path = Store.PathOf(r.Sha256);
        Damage(path, bytes => Array.Resize(ref bytes, 19_000), resize: 19_000);

        var bySize = await Assert.ThrowsAsync<ArtefactCorruptedException>(() => Store.ReadAllBytesAsync(r));
        Assert.Contains("size is 19000 bytes, expected 20000", bySize.Message);
        var byHash = await Assert.ThrowsAsync<ArtefactCorruptedException>(() => Store.ReadAllBytesAsync(r.Sha256));
        Assert.Contains("19000 bytes", byHash.Message);
    }

    [Fact]
    public async Task WritingAgainHealsADamagedCopy()
    {
        var content = TempStore.RandomBytes(8_000, 6);
        var r = await Store.PutAsync(content, ArtefactKind.Binary);
        Damage(Store.PathOf(r.Sha256), bytes => bytes[0] ^= 0xFF);
        await Assert.ThrowsAsync<ArtefactCorruptedException>(() => Store.ReadAllBytesAsync(r));

        await Store.PutAsync(content, ArtefactKind.Binary);
        Assert.Equal(content, await Store.ReadAllBytesAsync(r));
    }

    [Fact]
    public async Task MissingAndMalformedHashesAreNamed()
    {
        var missing = new string('a', 64);
        var e = await Assert.ThrowsAsync<ArtefactNotFoundException>(() => Store.ReadAllBytesAsync(missing));
        Assert.Contains(missing, e.Message);
        Assert.False(Store.Contains(missing));
        var bad = Assert.Throws<ArgumentException>(() => Store.PathOf("../../etc/passwd"));
        Assert.Contains("sha256", bad.Message);
        Assert.Throws<ArgumentException>(() => new ArtefactKind("Bad Kind"));
    }

    [Fact]
    public async Task ConcurrentWritersOfTheSameContentAllSucceedWithOneIntactFile()
    {
        var content = TempStore.RandomBytes(2_500_000, 7);
        // Separate store instances stand in for separate processes sharing one mount.
        var writers = Enumerable.Range(0, 8).Select(_ => Task.Run(() => new ArtefactStore(_t.Root).PutAsync(content, ArtefactKind.Binary)));
        var refs = await Task.WhenAll(writers);

        Assert.Single(refs.Distinct());
        Assert.Equal(content, await Store.ReadAllBytesAsync(refs[0]));
        Assert.Empty(Directory.GetFiles(Path.Combine(_t.Root, ".tmp")));
        Assert.Single(Directory.GetFiles(_t.Root, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public void StaleTempFilesArePurged()
    {
        var stale = Path.Combine(_t.Root, ".tmp", "crashed.part");
        var fresh = Path.Combine(_t.Root, ".tmp", "writing.part");
        File.WriteAllText(stale, "x");
        File.WriteAllText(fresh, "y");
        File.SetLastWriteTimeUtc(stale, DateTime.UtcNow.AddDays(-2));

        Assert.Equal(1, Store.PurgeStaleTempFiles(TimeSpan.FromDays(1)));
        Assert.False(File.Exists(stale));
        Assert.True(File.Exists(fresh));
    }

    static void Damage(string path, Action<byte[]> edit, int? resize = null)
    {
        var bytes = File.ReadAllBytes(path);
        edit(bytes);
        if (resize is int n) bytes = bytes[..n];
        TempStore.MakeWritable(path); // stored files are read-only
        File.WriteAllBytes(path, bytes);
    }
}
