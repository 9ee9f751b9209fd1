using static TorchSharp.torch;

namespace MMInterp.Kernels.Activations;

/// <summary>
/// An endless, deterministic stream of activation rows [rows, d] (float32, CPU). Position counts rows handed out;
/// Seek(p) restores the exact stream from row p, which is what checkpoint resume needs.
/// </summary>
public interface IActivationSource
{
    int D { get; }
    long Position { get; }
    void Seek(long position);
    Tensor NextBatch(int rows);
}
