using MMInterp.Kernels.Models.Diffusion;
using MMInterp.Kernels.Models.StableDiffusion;
using MMInterp.Kernels.Tensors;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.ZooUNet;

/// <summary>DDPM's forward process on a scheduler's training schedule (the zoo's by default): x_t = sqrt(a_t) x0 +
/// sqrt(1 - a_t) eps, and the U-Net's training loss against its prediction_type's target (epsilon: the noise;
/// v_prediction: sqrt(a_t) eps - sqrt(1 - a_t) x0). The zoo's x0 are pixels in [-1, 1], a pipeline's the VAE's latents.</summary>
public sealed class UNetNoising : IDisposable
{
    readonly Tensor _sqrtAlpha, _sqrtOneMinus;
    readonly bool _velocity;

    public UNetNoising(Device device) : this(UNetZooConfig.Scheduler, device) { }

    public UNetNoising(SchedulerConfig schedule, Device device)
    {
        _velocity = schedule.Validate().PredictionType == "v_prediction";
        var alphas = SchedulerBetas.AlphasCumprod(schedule);
        _sqrtAlpha = tensor(alphas.Select(a => (float)Math.Sqrt(a)).ToArray(), device: device);
        _sqrtOneMinus = tensor(alphas.Select(a => (float)Math.Sqrt(1 - a)).ToArray(), device: device);
    }

    public int TrainTimesteps => (int)_sqrtAlpha.shape[0];

    /// <summary>The DDPM timestep [B] (int64) of noise levels s [B] in [0, 1]: round(s (T - 1)).</summary>
    public Tensor Timesteps(Tensor s) =>
        s.mul(Scalars.S((double)(TrainTimesteps - 1))).round().to_type(ScalarType.Int64).clamp(Scalars.S(0L), Scalars.S((long)TrainTimesteps - 1));

    /// <summary>Noises x0 [B,C,H,W] to integer timesteps t [B] (int64).</summary>
    public Tensor Noise(Tensor x0, Tensor t, Tensor eps) =>
        _sqrtAlpha.index_select(0, t).view(-1, 1, 1, 1) * x0 + _sqrtOneMinus.index_select(0, t).view(-1, 1, 1, 1) * eps;

    /// <summary>x0's estimate from x_t and the model's output (epsilon: (x_t - sqrt(1 - a_t) eps) / sqrt(a_t); v:
    /// sqrt(a_t) x_t - sqrt(1 - a_t) v).</summary>
    public Tensor CleanEstimate(Tensor xt, Tensor t, Tensor output)
    {
        var (a, b) = (_sqrtAlpha.index_select(0, t).view(-1, 1, 1, 1), _sqrtOneMinus.index_select(0, t).view(-1, 1, 1, 1));
        return _velocity ? a * xt - b * output : (xt - b * output) / a;
    }

    /// <summary>Mean squared error per image [B] of the model's output against its training target.</summary>
    public Tensor LossPerImage(UNet2DConditionModel unet, Tensor x0, Tensor t, Tensor eps, TextCondition text)
    {
        var predicted = unet.Forward(CoordinateChannels.Input(unet.Config, Noise(x0, t, eps)), t.to_type(ScalarType.Float32), text.Tokens);
        var target = _velocity
            ? _sqrtAlpha.index_select(0, t).view(-1, 1, 1, 1) * eps - _sqrtOneMinus.index_select(0, t).view(-1, 1, 1, 1) * x0
            : eps;
        var d = predicted - target;
        return (d * d).mean([1, 2, 3]);
    }

    public void Dispose()
    {
        _sqrtAlpha.Dispose();
        _sqrtOneMinus.Dispose();
    }
}
