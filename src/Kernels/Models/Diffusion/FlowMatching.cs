using MMInterp.Kernels.Tensors;
using TorchSharp;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.Diffusion;

/// <summary>Rectified flow: x_t = (1 - t) x0 + t eps with t = 1 pure noise; the denoiser predicts v = eps - x0, so the
/// clean image it implies is x0 = x_t - t v. Pixels live in [-1, 1].</summary>
public static class FlowMatching
{
    public static Tensor ToModelSpace(Tensor images01) => images01 * Scalars.S(2.0) - Scalars.S(1.0);
    public static Tensor ToPixels(Tensor x) => ((x + Scalars.S(1.0)) * Scalars.S(0.5)).clamp(Scalars.S(0.0), Scalars.S(1.0));

    /// <summary>Noises clean images x0 [B,C,H,W] to level t [B].</summary>
    public static Tensor Noise(Tensor x0, Tensor t, Tensor eps)
    {
        var tt = t.view(-1, 1, 1, 1);
        return (Scalars.S(1.0) - tt) * x0 + tt * eps;
    }

    /// <summary>Clean-image estimate from the velocity.</summary>
    public static Tensor CleanEstimate(Tensor xt, Tensor t, Tensor velocity) => xt - t.view(-1, 1, 1, 1) * velocity;

    /// <summary>Mean squared velocity error per image [B] at given noise levels and noise.</summary>
    public static Tensor LossPerImage(DiffusionTransformer model, Tensor x0, Tensor t, Tensor eps, TextCondition text)
    {
        var xt = Noise(x0, t, eps);
        var v = model.Forward(xt, t, text);
        var d = v - (eps - x0);
        return (d * d).mean([1, 2, 3]);
    }

    /// <summary>The sampler's noise levels: steps+1 values from 1 down to 0.</summary>
    public static double[] Schedule(int steps)
    {
        if (steps < 1) throw new ArgumentException($"sampling steps must be at least 1, got {steps}", nameof(steps));
        return Enumerable.Range(0, steps + 1).Select(i => 1.0 - (double)i / steps).ToArray();
    }
}
