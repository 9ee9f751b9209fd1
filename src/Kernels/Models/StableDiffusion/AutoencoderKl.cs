using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.StableDiffusion;

/// <summary>
/// diffusers' AutoencoderKL (Stable Diffusion's VAE) under its parameter names: encoder.*, quant_conv, post_quant_conv,
/// decoder.*. <see cref="Encode"/> gives the latent distribution's mean and log-variance (clamped to [-30, 20] as
/// diffusers and CompVis do); <see cref="Decode"/> turns a latent (unscaled: divide a denoiser's latent by
/// scaling_factor first) into an image in [-1, 1]-ish range. Computes in float32.
/// </summary>
public sealed class AutoencoderKl : nn.Module
{
    readonly VaeEncoder _encoder;
    readonly VaeDecoder _decoder;
    readonly Conv2d? _quant, _postQuant;
    readonly Scalar _logvarMin = (-30.0).ToScalar(), _logvarMax = 20.0.ToScalar();

    public AutoencoderKlConfig Config { get; }

    public AutoencoderKl(AutoencoderKlConfig config) : base("vae")
    {
        Config = config.Validate();
        register_module("encoder", _encoder = new VaeEncoder(config));
        register_module("decoder", _decoder = new VaeDecoder(config));
        var z = config.LatentChannels;
        if (config.UseQuantConv) register_module("quant_conv", _quant = nn.Conv2d(2 * z, 2 * z, 1));
        if (config.UsePostQuantConv) register_module("post_quant_conv", _postQuant = nn.Conv2d(z, z, 1));
    }

    /// <summary>image [B, in_channels, H, W] (H, W multiples of the down factor) -> mean and log-variance, each
    /// [B, latent_channels, H / f, W / f].</summary>
    public (Tensor Mean, Tensor LogVar) Encode(Tensor image)
    {
        RequireImage(image, Config.InChannels, "image", Config.DownFactor);
        using var scope = NewDisposeScope();
        var moments = _encoder.Forward(image);
        if (_quant is not null) moments = _quant.forward(moments);
        var halves = moments.chunk(2, 1);
        var mean = halves[0].contiguous();
        var logvar = halves[1].clamp(_logvarMin, _logvarMax);
        return (scope.MoveToOuter(mean), scope.MoveToOuter(logvar));
    }

    /// <summary>latent [B, latent_channels, h, w] -> image [B, out_channels, h * f, w * f].</summary>
    public Tensor Decode(Tensor latent)
    {
        RequireImage(latent, Config.LatentChannels, "latent", 1);
        using var scope = NewDisposeScope();
        var z = _postQuant is null ? latent : _postQuant.forward(latent);
        return scope.MoveToOuter(_decoder.Forward(z));
    }

    static void RequireImage(Tensor x, int channels, string what, int multiple)
    {
        if (x.dim() != 4 || x.shape[1] != channels)
            throw new ArgumentException($"{what} must be [batch, {channels}, height, width], got [{string.Join(",", x.shape)}]");
        if (x.shape[2] % multiple != 0 || x.shape[3] % multiple != 0)
            throw new ArgumentException($"{what} height and width must be multiples of {multiple}, got {x.shape[2]}x{x.shape[3]}");
        if (x.dtype != ScalarType.Float32) throw new ArgumentException($"{what} must be float32, got {x.dtype}");
    }
}
