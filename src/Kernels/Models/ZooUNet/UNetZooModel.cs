using MMInterp.Kernels.Hooks;
using MMInterp.Kernels.Models.Diffusion;
using MMInterp.Kernels.Models.StableDiffusion;
using MMInterp.Kernels.Tensors;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.ZooUNet;

/// <summary>The zoo U-Net ready to use: the denoiser, its frozen text encoder, the attribute classifier that scores its
/// images and its recipe. Owns all three models. As an <see cref="IZooDenoiser"/>, noise level s is DDPM timestep
/// round(s * 999) on the recipe's schedule (s = 0.5 is t = 500, where the image's share of x_t is 0.28).</summary>
public sealed class UNetZooModel(UNet2DConditionModel unet, TextConditioner text, AttributeClassifier classifier, UNetZooConfig config) : IZooDenoiser
{
    readonly UNetNoising _noising = new(text.Clip.LogitScale.device);

    public UNet2DConditionModel UNet { get; } = unet;
    public TextConditioner Text { get; } = text;
    public AttributeClassifier Classifier { get; } = classifier;
    public UNetZooConfig Config { get; } = config;

    public HookRegistry Hooks => UNet.Hooks;
    public int ImageSize => Config.ImageSize;
    public long EvalSeed => Config.EvalSeed;

    public IReadOnlyList<string> BlockHooks =>
    [
        .. Enumerable.Range(0, UNet.Config.Levels).Select(i => $"unet.down.{i}.hook_out"), "unet.mid.hook_out",
        .. Enumerable.Range(0, UNet.Config.Levels).Select(i => $"unet.up.{i}.hook_out"),
    ];

    /// <summary>Every Transformer2DModel (down, mid, up; diffusers' attentions.{j}), in forward order; skipping one gives
    /// its output the output of the resnet before it.</summary>
    public IReadOnlyList<SkippableBlock> Blocks => UNet.Hooks.Names.Where(n => TransformerOutput.IsMatch(n)).Select(n =>
    {
        var m = TransformerOutput.Match(n);
        return new SkippableBlock($"{m.Groups[1].Value}.attn.{m.Groups[2].Value}", $"unet.{m.Groups[1].Value}.resnet.{m.Groups[2].Value}.hook_out", n);
    }).ToList();

    /// <summary>Each transformer block's self- and cross-attention layers (one per block in the zoo recipe).</summary>
    public IReadOnlyList<AttentionSite> AttentionSites => Blocks.SelectMany((block, i) =>
    {
        var prefix = block.OutputHook[..^".hook_out".Length];
        var heads = Heads(block.Name);
        return UNet.Hooks.Names.Where(n => n.StartsWith(prefix + ".blocks.", StringComparison.Ordinal) && n.EndsWith(".hook_z", StringComparison.Ordinal))
            .Select(n => new AttentionSite(n.EndsWith(".self.hook_z", StringComparison.Ordinal) ? "attn" : "cross_attn", i, n, heads));
    }).ToList();

    static readonly System.Text.RegularExpressions.Regex TransformerOutput = new(@"^unet\.(down\.\d+|mid|up\.\d+)\.attn\.(\d+)\.hook_out$");

    // diffusers: down level i has attention_head_dim[i] heads, the mid block the last level's, up level i the
    // (levels - 1 - i)th.
    int Heads(string block)
    {
        var counts = UNet.Config.HeadCounts;
        var parts = block.Split('.');
        return parts[0] switch
        {
            "down" => counts[int.Parse(parts[1])],
            "up" => counts[counts.Count - 1 - int.Parse(parts[1])],
            _ => counts[^1],
        };
    }

    /// <summary>2: the grid of the first attention level (8x8 tokens at 16x16).</summary>
    public int PixelPatch => 2;

    public long ParameterCount => UNet.parameters().Sum(p => p.numel());

    /// <summary>The DDPM timestep [B] (int64) of noise levels s [B].</summary>
    public Tensor Timesteps(Tensor s) =>
        s.mul(Scalars.S((double)(_noising.TrainTimesteps - 1))).round().to_type(ScalarType.Int64).clamp(Scalars.S(0L), Scalars.S((long)_noising.TrainTimesteps - 1));

    public Tensor Noise(Tensor x0, Tensor s, Tensor eps) => _noising.Noise(x0, Timesteps(s), eps);

    public Tensor Forward(Tensor xs, Tensor s, TextCondition text) =>
        UNet.Forward(CoordinateChannels.Input(UNet.Config, xs), Timesteps(s).to_type(ScalarType.Float32), text.Tokens);

    public Tensor Tokens(string hook, Tensor activation) => activation.dim() switch
    {
        2 => activation.unsqueeze(1),
        3 => activation,
        // hook_z is [B, T, H, dh]; every other 4-D hook is a feature map [B, C, h, w].
        4 when hook.EndsWith(".hook_z", StringComparison.Ordinal) => activation.flatten(2),
        4 => activation.flatten(2).transpose(1, 2),
        _ => throw new ArgumentException($"hook '{hook}' gives a {activation.dim()}-D activation; expected 2 to 4 dimensions"),
    };

    public Tensor LossPerImage(Tensor x0, Tensor s, Tensor eps, TextCondition text) => _noising.LossPerImage(UNet, x0, Timesteps(s), eps, text);

    public SamplerOptions Sampler(long seed) => new SamplerOptions { Steps = Config.SampleSteps, Guidance = Config.Guidance, Seed = seed }.Validate();

    public Tensor Sample(TextCondition text, TextCondition nullText, SamplerOptions options, Action<double, Tensor>? afterStep = null) =>
        UNetZooSampler.Sample(UNet, text, nullText, options.Steps, options.Guidance, options.Seed, afterStep is null ? null : step =>
        {
            using var scope = NewDisposeScope();
            var t = full([step.Xt.shape[0]], step.T, ScalarType.Int64, device: step.Xt.device);
            afterStep((double)step.T / (_noising.TrainTimesteps - 1), _noising.CleanEstimate(step.Xt, t, step.Noise));
        });

    public void Dispose()
    {
        UNet.Dispose();
        Classifier.Dispose();
        Text.Clip.Dispose();
        _noising.Dispose();
    }
}
