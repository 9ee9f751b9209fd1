using MMInterp.Kernels.Activations;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.Sae;

internal sealed class TempDir : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "mmi-sae-" + Guid.NewGuid().ToString("N"));
    public TempDir() => Directory.CreateDirectory(Path);
    public void Dispose() { try { Directory.Delete(Path, true); } catch (IOException) { } }
}

/// <summary>Wraps a source and poisons the batch with a given index (0-based) with NaN.</summary>
internal sealed class PoisonedSource(IActivationSource inner, long poisonBatch, int batchSize) : IActivationSource
{
    public int D => inner.D;
    public long Position => inner.Position;
    public void Seek(long position) => inner.Seek(position);
    public Tensor NextBatch(int rows)
    {
        long index = inner.Position / batchSize;
        var x = inner.NextBatch(rows);
        if (index == poisonBatch) x[3, 1] = float.NaN;
        return x;
    }
}

internal static class Bits
{
    /// <summary>Same shape, dtype and bytes.</summary>
    public static bool Identical(Tensor a, Tensor b) =>
        a.dtype == b.dtype && a.shape.SequenceEqual(b.shape) &&
        MMInterp.Kernels.Tensors.NativeTensor.ByteSpan(a.contiguous()).SequenceEqual(MMInterp.Kernels.Tensors.NativeTensor.ByteSpan(b.contiguous()));
}
