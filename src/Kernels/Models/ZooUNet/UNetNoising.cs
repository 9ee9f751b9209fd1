using MMInterp.Kernels.Models.Diffusion;
using MMInterp.Kernels.Models.StableDiffusion;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.ZooUNet;

/// <summary>DDPM's forward process on the zoo schedule: x_t = sqrt(a_t) x0 + sqrt(1 - a_t) eps, and the U-Net's
/// noise-prediction loss. Pixels live in [-1, 1].</summary>
public sealed class UNetNoising : IDisposable
{
    readonly Tensor _sqrtAlpha, _sqrtOneMinus;

    public UNetNoising(Device device)
    {
        var alphas = SchedulerBetas.AlphasCumprod(UNetZooConfig.Scheduler);
        _sqrtAlpha = tensor(alphas.Select(a => (float)Math.Sqrt(a)).ToArray(), device: device);
        _sqrtOneMinus = tensor(alphas.Select(a => (float)Math.Sqrt(1 - a)).ToArray(), device: device);
    }

    public int TrainTimesteps => (int)_sqrtAlpha.shape[0];

    /// <summary>Noises x0 [B,C,H,W] to integer timesteps t [B] (int64).</summary>
    public Tensor Noise(Tensor x0, Tensor t, Tensor eps) =>
        _sqrtAlpha.index_select(0, t).view(-1, 1, 1, 1) * x0 + _sqrtOneMinus.index_select(0, t).view(-1, 1, 1, 1) * eps;

    /// <summary>x0's estimate from x_t and a noise prediction: (x_t - sqrt(1 - a_t) eps) / sqrt(a_t).</summary>
    public Tensor CleanEstimate(Tensor xt, Tensor t, Tensor eps) =>
        (xt - _sqrtOneMinus.index_select(0, t).view(-1, 1, 1, 1) * eps) / _sqrtAlpha.index_select(0, t).view(-1, 1, 1, 1);

    /// <summary>Mean squared noise-prediction error per image [B].</summary>
    public Tensor LossPerImage(UNet2DConditionModel unet, Tensor x0, Tensor t, Tensor eps, TextCondition text)
    {
        var predicted = unet.Forward(CoordinateChannels.Input(unet.Config, Noise(x0, t, eps)), t.to_type(ScalarType.Float32), text.Tokens);
        var d = predicted - eps;
        return (d * d).mean([1, 2, 3]);
    }

    public void Dispose()
    {
        _sqrtAlpha.Dispose();
        _sqrtOneMinus.Dispose();
    }
}
