using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Models.Llm;
using Xunit;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.Llm;

/// <summary>
/// The decoder against Meta's reference Llama code (Llama 2's llama/model.py; Llama 3's models/llama3/model.py with
/// its scaled rotary frequencies; the same with q/k/v biases for Qwen2), on the small random checkpoints
/// tests/reference/llama_meta_reference.py wrote in HF's layout: logits within float tolerance, greedy continuations
/// identical, with the KV cache and without, from bf16 (kept), fp32, fp16 and sharded files.
/// </summary>
public class MetaReferenceTests
{
    public static TheoryData<string> Cases => new(MetaGolden.Cases);

    // The reference ran in float32 on the same bf16-rounded values; only summation order differs.
    const double Tight = 1e-4;

    [Theory]
    [MemberData(nameof(Cases))]
    public void Bf16CheckpointStaysBf16AndMatchesTheReference(string name)
    {
        using var scope = NewDisposeScope();
        var (ids, expected, greedy) = MetaGolden.Outputs(name);
        using var lm = LlamaCheckpoint.Load(MetaGolden.Dir(name)).Model;
        Assert.Equal(ScalarType.BFloat16, lm.StorageDType);
        Assert.All(lm.parameters(), p => Assert.Equal(ScalarType.BFloat16, p.dtype));
        using var _ = no_grad();
        AssertClose(expected, lm.Forward(ids), Tight, name);
        var rows = MetaGolden.Rows(greedy);
        var steps = rows[0].Length;
        // Meta's loop does not stop at an end token, so neither does this one.
        Assert.Equal(rows, LlamaGreedy.Generate(lm, ids, steps, stopIds: [], useCache: true));
        Assert.Equal(rows, LlamaGreedy.Generate(lm, ids, steps, stopIds: [], useCache: false));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Fp32LoadMatchesTheReference(string name)
    {
        using var scope = NewDisposeScope();
        var (ids, expected, greedy) = MetaGolden.Outputs(name);
        using var lm = LlamaCheckpoint.Load(MetaGolden.Dir(name), new LlamaLoadOptions { KeepStoredDType = false }).Model;
        Assert.All(lm.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
        using var _ = no_grad();
        AssertClose(expected, lm.Forward(ids), Tight, name);
        Assert.Equal(MetaGolden.Rows(greedy), LlamaGreedy.Generate(lm, ids, (int)greedy.shape[1], stopIds: []));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Fp16ShardedCheckpointStaysFp16AndMatchesTheReference(string name)
    {
        using var scope = NewDisposeScope();
        var (ids, expected, greedy) = MetaGolden.Outputs(name);
        var dir = MetaGolden.Converted(name, ScalarType.Float16, shards: 3);
        try
        {
            Assert.True(File.Exists(Path.Combine(dir, HfWeightFiles.IndexFile)));
            using var lm = LlamaCheckpoint.Load(dir).Model;
            Assert.All(lm.parameters(), p => Assert.Equal(ScalarType.Float16, p.dtype));
            using var _ = no_grad();
            // bf16 -> fp16 is exact except for tiny values fp16 holds as subnormals: a looser bound.
            AssertClose(expected, lm.Forward(ids), 2e-3, name);
            Assert.Equal(MetaGolden.Rows(greedy), LlamaGreedy.Generate(lm, ids, (int)greedy.shape[1], stopIds: []));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ShardedFp32MatchesSingleFileBf16(string name)
    {
        using var scope = NewDisposeScope();
        var (ids, _, _) = MetaGolden.Outputs(name);
        var dir = MetaGolden.Converted(name, ScalarType.Float32, shards: 2);
        try
        {
            using var sharded = LlamaCheckpoint.Load(dir).Model;
            using var single = LlamaCheckpoint.Load(MetaGolden.Dir(name)).Model;
            Assert.Equal(ScalarType.Float32, sharded.StorageDType);
            using var _ = no_grad();
            // The same values either way (bf16 widens exactly), so the same computation.
            Assert.Equal(0f, (single.Forward(ids) - sharded.Forward(ids)).abs().max().item<float>());
        }
        finally { Directory.Delete(dir, true); }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void CachedPrefillAndDecodeGiveTheFullForwardsLogits(string name)
    {
        using var scope = NewDisposeScope();
        var (ids, expected, _) = MetaGolden.Outputs(name);
        using var lm = LlamaCheckpoint.Load(MetaGolden.Dir(name)).Model;
        using var _ = no_grad();
        using var cache = lm.NewCache();
        var t = ids.shape[1];
        var prefill = t - 3;
        var parts = new List<Tensor> { lm.Forward(ids.narrow(1, 0, prefill), cache) };
        for (var i = prefill; i < t; i++) parts.Add(lm.Forward(ids.narrow(1, i, 1), cache));
        Assert.Equal(t, cache.Length);
        AssertClose(expected, cat(parts, 1), Tight, name);
    }

    internal static void AssertClose(Tensor expected, Tensor actual, double tolerance, string what)
    {
        Assert.Equal(expected.shape, actual.shape);
        var diff = (expected - actual).abs().max().item<float>();
        Assert.True(diff <= tolerance, $"{what}: logits differ from the reference by up to {diff} (tolerance {tolerance})");
    }
}
