using static MMInterp.Kernels.Tensors.Scalars;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Sae.Training;

/// <summary>Rows seen since each feature last fired (SAELens' dead_feature_window, counted in rows). Checkpointed.</summary>
public sealed class DeadFeatureTracker : IDisposable
{
    public Tensor RowsSinceFired { get; }
    private readonly long _deadAfter;

    public DeadFeatureTracker(int m, long deadAfterRows, Device device)
    {
        RowsSinceFired = zeros(new long[] { m }, ScalarType.Int64, device).DetachFromDisposeScope();
        _deadAfter = deadAfterRows;
    }

    public void Update(Tensor batchFireCounts, long rows)
    {
        using var noGrad = no_grad();
        RowsSinceFired.add_(S(rows)).masked_fill_(batchFireCounts > S(0), S(0));
    }

    public Tensor DeadMask() => RowsSinceFired >= S(_deadAfter);

    public void Dispose() => RowsSinceFired.Dispose();
}
