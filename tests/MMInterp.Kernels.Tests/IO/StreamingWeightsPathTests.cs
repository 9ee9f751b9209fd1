using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.IO;
using MMInterp.Kernels.Tensors;
using MMInterp.Kernels.Tests.Sae;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.IO;

/// <summary>Loading weights straight into CPU parameter memory (the fast path) and through a temporary and copy_ (what
/// an accelerator's parameters take, forced here on the CPU) give the same bytes.</summary>
public class StreamingWeightsPathTests
{
    [Fact]
    public void BothLoadPathsFillTheSameWeights()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "model.safetensors");
        using var source = TorchRuntime.Seeded(3, () => nn.Linear(12, 7));
        SafeTensors.Save(path, source.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter));
        var shards = new[] { new WeightShard(path, SafeTensors.ReadHeader(path)) };

        using var fast = nn.Linear(12, 7);
        using var generic = nn.Linear(12, 7);
        StreamingWeights.Load(fast, shards, path);
        using (FastPaths.Disable()) StreamingWeights.Load(generic, shards, path);

        foreach (var (name, p) in source.named_parameters())
        {
            var f = fast.named_parameters().Single(x => x.name == name).parameter;
            var g = generic.named_parameters().Single(x => x.name == name).parameter;
            Assert.True(Bits.Identical(p.detach(), f.detach()), $"{name}: fast path load differs from the saved weights");
            Assert.True(Bits.Identical(p.detach(), g.detach()), $"{name}: generic path load differs from the saved weights");
        }
    }
}
