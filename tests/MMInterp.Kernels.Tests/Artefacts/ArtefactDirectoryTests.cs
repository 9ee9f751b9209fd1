using System.Text;
using MMInterp.Kernels.Artefacts;
using Xunit;

namespace MMInterp.Kernels.Tests.Artefacts;

public class ArtefactDirectoryTests : IDisposable
{
    readonly TempStore _t = new();
    readonly string _model = Path.Combine(Path.GetTempPath(), $"mminterp-model-{Guid.NewGuid():N}");

    public ArtefactDirectoryTests()
    {
        Directory.CreateDirectory(Path.Combine(_model, "tokenizer"));
        File.WriteAllText(Path.Combine(_model, "config.json"), """{"d_model": 64}""");
        File.WriteAllBytes(Path.Combine(_model, "model.safetensors"), TempStore.RandomBytes(100_000, 11));
        File.WriteAllText(Path.Combine(_model, "tokenizer", "vocab.txt"), "a\nb\n");
    }

    public void Dispose()
    {
        _t.Dispose();
        try { Directory.Delete(_model, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task ADirectoryRoundTripsThroughItsManifest()
    {
        var m = await _t.Store.PutDirectoryAsync(_model);
        Assert.Equal(ArtefactKind.Manifest, m.Kind);

        var manifest = await _t.Store.ReadManifestAsync(m.Sha256);
        Assert.Equal(["config.json", "model.safetensors", "tokenizer/vocab.txt"], manifest.Entries.Select(e => e.Path));
        Assert.Equal(["json", "safetensors", "text"], manifest.Entries.Select(e => e.Kind));

        var paths = await _t.Store.GetVerifiedPathsAsync(m.Sha256);
        Assert.Equal(File.ReadAllBytes(Path.Combine(_model, "model.safetensors")), File.ReadAllBytes(paths["model.safetensors"]));

        var target = Path.Combine(_t.Root, "restored");
        await _t.Store.RestoreDirectoryAsync(m.Sha256, target);
        foreach (var e in manifest.Entries)
            Assert.Equal(File.ReadAllBytes(Path.Combine(_model, e.Path)), File.ReadAllBytes(Path.Combine(target, e.Path)));
    }

    [Fact]
    public async Task TheSameContentGivesTheSameManifestHash()
    {
        var a = await _t.Store.PutDirectoryAsync(_model);
        var b = await _t.Store.PutDirectoryAsync(_model);
        Assert.Equal(a, b);
        File.AppendAllText(Path.Combine(_model, "config.json"), " ");
        Assert.NotEqual(a.Sha256, (await _t.Store.PutDirectoryAsync(_model)).Sha256);
    }

    [Fact]
    public async Task ADamagedMemberFileStopsTheRestore()
    {
        var m = await _t.Store.PutDirectoryAsync(_model);
        var weights = (await _t.Store.ReadManifestAsync(m.Sha256)).Entries.Single(e => e.Path == "model.safetensors");
        var path = _t.Store.PathOf(weights.Sha256);
        TempStore.MakeWritable(path); // stored files are read-only
        using (var f = new FileStream(path, FileMode.Open)) f.SetLength(10);

        var e = await Assert.ThrowsAsync<ArtefactCorruptedException>(() => _t.Store.GetVerifiedPathsAsync(m.Sha256));
        Assert.Equal(weights.Sha256, e.Sha256);
    }

    [Theory]
    [InlineData("../escape.bin")]
    [InlineData("/etc/passwd")]
    [InlineData("a//b")]
    public async Task ManifestsWithUnsafePathsAreRejected(string path)
    {
        var json = $$"""{"format":"mminterp.manifest/1","entries":[{"path":"{{path}}","sha256":"{{new string('0', 64)}}","size":1,"kind":"binary"}]}""";
        var m = await _t.Store.PutAsync(Encoding.UTF8.GetBytes(json), ArtefactKind.Manifest);
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => _t.Store.RestoreDirectoryAsync(m.Sha256, Path.Combine(_t.Root, "out")));
        Assert.Contains(path, e.Message);
    }
}
