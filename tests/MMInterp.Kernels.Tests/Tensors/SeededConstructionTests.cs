using MMInterp.Kernels.Models.Clip;
using MMInterp.Kernels.Tensors;
using MMInterp.Kernels.Tests.Clip;
using Xunit;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.Tensors;

/// <summary>Two trainings in one process (two grains on a silo) share torch's global generator: a seeded build must give
/// the same weights however other threads build models at the same time.</summary>
public class SeededConstructionTests
{
    static float[] Weights(ClipModel model) =>
        model.parameters().SelectMany(p => p.detach().cpu().flatten().data<float>().ToArray()).ToArray();

    [Fact]
    public void ASeededBuildDoesNotDependOnConcurrentBuilds()
    {
        float[] reference;
        using (var model = TorchRuntime.Seeded(5, () => new ClipModel(TinyClip.Config(layers: 2)))) reference = Weights(model);

        // Half the threads build seeded models, the other half unseeded ones (as checkpoint loads do): without the lock
        // their draws interleave with the seeded builds'.
        var mismatches = 0;
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            for (var round = 0; round < 6; round++)
            {
                if (i % 2 == 1)
                {
                    TorchRuntime.Constructed(() => new ClipModel(TinyClip.Config(layers: 2))).Dispose();
                    continue;
                }
                using var model = TorchRuntime.Seeded(5, () => new ClipModel(TinyClip.Config(layers: 2)));
                if (!Weights(model).SequenceEqual(reference)) Interlocked.Increment(ref mismatches);
            }
        });
        Assert.Equal(0, mismatches);
    }

    [Fact]
    public void DifferentSeedsGiveDifferentWeights()
    {
        using var a = TorchRuntime.Seeded(5, () => new ClipModel(TinyClip.Config()));
        using var b = TorchRuntime.Seeded(6, () => new ClipModel(TinyClip.Config()));
        Assert.False(Weights(a).SequenceEqual(Weights(b)));
    }
}
