using static TorchSharp.torch;

namespace MMInterp.Kernels.Sae.Training;

/// <summary>
/// Computes the loss and writes every parameter's gradient into <c>grads</c> (overwriting), and adds the batch's
/// per-feature firing counts into <c>fireCounts</c> [m]. Input xn is already normalised.
/// </summary>
public interface IGradientKernel
{
    StepResult Compute(SparseAutoencoder sae, Tensor xn, SaeLossOptions loss, IReadOnlyDictionary<string, Tensor> grads, Tensor fireCounts);
}

public static class GradientKernels
{
    /// <summary>The hand-written kernel for ReLU and TopK unless autograd is requested; autograd otherwise.</summary>
    public static IGradientKernel For(SaeKind kind, bool useAutograd) => useAutograd ? new AutogradKernel() : kind switch
    {
        SaeKind.Relu => new ReluGradientKernel(),
        SaeKind.TopK => new TopKGradientKernel(),
        _ => new AutogradKernel(),
    };
}
