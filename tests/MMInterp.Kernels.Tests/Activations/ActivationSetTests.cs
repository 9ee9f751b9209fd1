using MMInterp.Kernels.Activations;
using MMInterp.Kernels.IO;
using MMInterp.Kernels.Tests.Sae;
using Xunit;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.Activations;

public class ActivationSetTests
{
    private const int D = 6;

    /// <summary>Row r holds r in column 0 so rows can be identified after shuffling.</summary>
    private static Tensor Rows(long start, long n)
    {
        var t = randn(n, D);
        t[TensorIndex.Colon, 0] = arange(start, start + n, dtype: ScalarType.Float32);
        return t;
    }

    private static ActivationSetIndex WriteSet(string dir, long total = 1050, long shardRows = 100)
    {
        using var w = new ActivationSetWriter(dir, "vision.blocks.1.hook_resid_post", D, shardRows);
        // Uneven appends cross shard boundaries.
        for (long s = 0; s < total;) { long n = Math.Min(137, total - s); w.Append(Rows(s, n)); s += n; }
        return w.Complete();
    }

    [Fact]
    public void WrittenSetReadsBackExactlyWithIndex()
    {
        using var dir = new TempDir();
        var index = WriteSet(dir.Path);
        Assert.Equal(11, index.Shards.Count);
        Assert.Equal(50, index.Shards[^1].Rows);
        Assert.Equal(1050, index.TotalRows);
        var reader = new ActivationSetReader(dir.Path);
        Assert.Equal("vision.blocks.1.hook_resid_post", reader.Index.HookName);
        Assert.Equal(D, reader.Index.D);
        var all = cat(Enumerable.Range(0, 11).Select(reader.ReadShard).ToList(), 0);
        Assert.Equal(Enumerable.Range(0, 1050).Select(i => (float)i), all[TensorIndex.Colon, 0].data<float>().ToArray());
    }

    [Fact]
    public void ShufflingReaderCoversEachRowOncePerEpochWithBoundedMemoryAndSeeks()
    {
        using var dir = new TempDir();
        WriteSet(dir.Path);
        using var a = new ShufflingActivationReader(new ActivationSetReader(dir.Path), bufferShards: 3, seed: 5);
        var epoch = a.NextBatch(1050)[TensorIndex.Colon, 0].data<float>().ToArray();
        Assert.Equal(Enumerable.Range(0, 1050).Select(i => (float)i), epoch.OrderBy(v => v));
        Assert.NotEqual(Enumerable.Range(0, 1050).Select(i => (float)i), epoch);
        Assert.True(a.MaxBufferedRows <= 300, $"held {a.MaxBufferedRows} rows with a 3-shard buffer");

        var next = a.NextBatch(400)[TensorIndex.Colon, 0].data<float>().ToArray();
        Assert.NotEqual(epoch.Take(400), next); // the second epoch has a different order

        using var b = new ShufflingActivationReader(new ActivationSetReader(dir.Path), bufferShards: 3, seed: 5);
        b.Seek(1050 + 123);
        Assert.Equal(next.Skip(123), b.NextBatch(400 - 123)[TensorIndex.Colon, 0].data<float>().ToArray());

        using var c = new ShufflingActivationReader(new ActivationSetReader(dir.Path), bufferShards: 3, seed: 6);
        Assert.NotEqual(epoch.Take(200), c.NextBatch(200)[TensorIndex.Colon, 0].data<float>().ToArray());
    }

    private static void Rewrite(string dir, int shard, Tensor content, bool fixChecksum)
    {
        var index = ActivationSetIndex.Load(dir);
        var path = Path.Combine(dir, index.Shards[shard].Name);
        SafeTensors.Save(path, new Dictionary<string, Tensor> { [ActivationSetIndex.TensorName] = content });
        if (fixChecksum)
        {
            var shards = index.Shards.ToList();
            shards[shard] = shards[shard] with { Sha256 = ActivationSetWriter.Sha256Of(path) };
            File.WriteAllText(Path.Combine(dir, ActivationSetIndex.FileName), (index with { Shards = shards }).ToJson());
        }
    }

    [Fact]
    public void WrongShapeIsReportedWithTheShardName()
    {
        using var dir = new TempDir();
        WriteSet(dir.Path);
        Rewrite(dir.Path, 2, randn(100, D + 1), fixChecksum: true);
        var e = Assert.Throws<InvalidDataException>(() => new ActivationSetReader(dir.Path).ReadShard(2));
        Assert.Contains("shard-00002.safetensors", e.Message);
        Assert.Contains("shape", e.Message);
    }

    [Fact]
    public void NaNIsReportedWithTheShardName()
    {
        using var dir = new TempDir();
        WriteSet(dir.Path);
        var bad = randn(100, D);
        bad[7, 2] = float.NaN;
        Rewrite(dir.Path, 4, bad, fixChecksum: true);
        using var shuffled = new ShufflingActivationReader(new ActivationSetReader(dir.Path), bufferShards: 11, seed: 1);
        var e = Assert.Throws<InvalidDataException>(() => shuffled.NextBatch(10));
        Assert.Contains("shard-00004.safetensors", e.Message);
        Assert.Contains("NaN", e.Message);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void TruncatedShardIsReportedWithTheShardName(bool verifyChecksums)
    {
        using var dir = new TempDir();
        WriteSet(dir.Path);
        var path = Path.Combine(dir.Path, "shard-00003.safetensors");
        using (var fs = new FileStream(path, FileMode.Open)) fs.SetLength(fs.Length - 40);
        var e = Assert.Throws<InvalidDataException>(() => new ActivationSetReader(dir.Path, verifyChecksums).ReadShard(3));
        Assert.Contains("shard-00003.safetensors", e.Message);
        Assert.Contains(verifyChecksums ? "sha256" : "truncated", e.Message);
    }

    [Fact]
    public void WriterRefusesNonFiniteRowsAndWrongWidth()
    {
        using var dir = new TempDir();
        using var w = new ActivationSetWriter(dir.Path, "h", D, 10);
        var bad = randn(3, D); bad[1, 1] = float.PositiveInfinity;
        Assert.Throws<ArgumentException>(() => w.Append(bad));
        Assert.Throws<ArgumentException>(() => w.Append(randn(3, D + 2)));
    }
}
