using System.Collections.Concurrent;
using TorchSharp;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.Llm;

/// <summary>
/// Float32 scratch blocks for <see cref="StoredLinear"/>'s cast-on-use, kept for the process and shared by every layer:
/// one per forward running at once (a caller takes a block, casts into it, and returns it once the product is computed).
/// </summary>
internal static class CastScratch
{
    static readonly ConcurrentBag<Tensor> Free = [];

    /// <summary>A 1-d float32 block of at least <paramref name="elements"/> (a pooled one if large enough).</summary>
    public static Tensor Take(long elements)
    {
        if (Free.TryTake(out var block))
        {
            if (block.numel() >= elements) return block;
            block.Dispose(); // too small for this weight (the block size was raised): replaced by a larger one
        }
        using var _ = no_grad();
        return empty(elements, ScalarType.Float32).DetachFromDisposeScope();
    }

    public static void Return(Tensor block) => Free.Add(block);
}
