using static TorchSharp.torch;

namespace MMInterp.Kernels.Sae.Training;

/// <summary>Global-norm clipping (torch.nn.utils.clip_grad_norm_), returned as a factor that Adam folds into its pass.</summary>
public static class GradientClipping
{
    /// <summary>The factor to multiply all gradients by (1 when within bound or maxNorm is 0); norm is the global L2 norm
    /// (NaN/inf when any gradient is not finite).</summary>
    public static double Scale(IEnumerable<Tensor> grads, double maxNorm, out double norm)
    {
        double sq = 0;
        foreach (var g in grads) { double n = g.norm().item<float>(); sq += n * n; }
        norm = Math.Sqrt(sq);
        return maxNorm > 0 && norm > maxNorm ? maxNorm / norm : 1.0;
    }
}
