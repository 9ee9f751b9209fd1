using MMInterp.Kernels.Hooks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.Diffusion;

/// <summary>The tiny text-to-image denoiser: image patches -> DiT blocks (adaLN timestep conditioning, cross-attention
/// to text tokens) -> a velocity per pixel. Hook points: denoiser.hook_embed, denoiser.blocks.{i}.hook_resid_post,
/// .attn.hook_z/.hook_pattern, .cross_attn.hook_z/.hook_pattern, .mlp.hook_post.</summary>
public sealed class DiffusionTransformer : nn.Module
{
    readonly Conv2d _patch;
    readonly Parameter _position;
    readonly Linear _time1, _time2, _pooled, _text, _finalModulation, _finalLinear;
    readonly LayerNorm _finalNorm;
    readonly ModuleList<DitBlock> _blocks;
    readonly HookPoint _embed;
    readonly Scalar _one, _timeScale, _frequencyStep;
    const int TimeFrequencies = 32;

    public DiffusionTransformer(DitConfig config) : base("denoiser")
    {
        Config = config.Validate();
        Hooks = new HookRegistry();
        var w = config.Width;
        _one = 1.0.ToScalar();
        _timeScale = 1000.0.ToScalar();
        _frequencyStep = (-Math.Log(10000.0) / TimeFrequencies).ToScalar();
        register_module("patch_embed", _patch = nn.Conv2d(config.Channels, w, config.PatchSize, stride: config.PatchSize));
        register_parameter("position_embedding", _position = new Parameter(randn(1, config.Tokens, w) * 0.02.ToScalar()));
        register_module("time_fc1", _time1 = nn.Linear(2 * TimeFrequencies, w));
        register_module("time_fc2", _time2 = nn.Linear(w, w));
        register_module("pooled_proj", _pooled = nn.Linear(config.TextWidth, w));
        register_module("text_proj", _text = nn.Linear(config.TextWidth, w));
        _embed = Hooks.Register("denoiser.hook_embed");
        _blocks = nn.ModuleList(Enumerable.Range(0, config.Layers).Select(i => new DitBlock(config, Hooks, i)).ToArray());
        register_module("blocks", _blocks);
        register_module("final_norm", _finalNorm = nn.LayerNorm(w, elementwise_affine: false, eps: 1e-6));
        register_module("final_modulation", _finalModulation = nn.Linear(w, 2 * w));
        register_module("final_linear", _finalLinear = nn.Linear(w, config.PatchSize * config.PatchSize * config.Channels));
        using (no_grad())
        {
            _finalModulation.weight!.zero_(); _finalModulation.bias!.zero_();
            _finalLinear.weight!.zero_(); _finalLinear.bias!.zero_();
        }
    }

    public DitConfig Config { get; }
    public HookRegistry Hooks { get; }
    public int Layers => _blocks.Count;
    public DitBlock Block(int i) => _blocks[i];

    /// <summary>Velocity prediction. x: [B, C, H, W] noisy image; t: [B] noise level in [0, 1] (1 = pure noise).</summary>
    public Tensor Forward(Tensor x, Tensor t, TextCondition text)
    {
        var (c, tokens, context) = Prepare(x, t, text);
        foreach (var block in _blocks) tokens = block.Forward(tokens, c, context);
        return Output(tokens, c);
    }

    /// <summary>The conditioning vector (SiLU applied), the embedded patches and the projected text states.</summary>
    public (Tensor C, Tensor Tokens, Tensor Context) Prepare(Tensor x, Tensor t, TextCondition text)
    {
        if (x.dim() != 4 || x.shape[1] != Config.Channels || x.shape[2] != Config.ImageSize || x.shape[3] != Config.ImageSize)
            throw new ArgumentException($"denoiser input must be [B,{Config.Channels},{Config.ImageSize},{Config.ImageSize}], got [{string.Join(",", x.shape)}]");
        if (t.dim() != 1 || t.shape[0] != x.shape[0] || text.Count != x.shape[0])
            throw new ArgumentException($"timesteps [{string.Join(",", t.shape)}] and text ({text.Count} rows) must have one entry per image ({x.shape[0]})");
        var tokens = _patch.forward(x).flatten(2).transpose(1, 2) + _position;
        tokens = _embed.Apply(tokens);
        var c = nn.functional.silu(TimeEmbedding(t) + _pooled.forward(text.Pooled));
        return (c, tokens, _text.forward(text.Tokens));
    }

    /// <summary>Final adaLN layer and unpatchify: residual tokens [B, T, W] -> [B, C, H, W]. The steering lens applies
    /// this to every block's residual stream.</summary>
    public Tensor Output(Tensor tokens, Tensor c)
    {
        var m = _finalModulation.forward(c).unsqueeze(1).chunk(2, -1);
        var h = _finalLinear.forward(_finalNorm.forward(tokens) * (m[1] + _one) + m[0]); // [B, T, p*p*C]
        var (b, g, p, ch) = (tokens.shape[0], (long)Config.PatchesPerSide, (long)Config.PatchSize, (long)Config.Channels);
        return h.view(b, g, g, p, p, ch).permute(0, 5, 1, 3, 2, 4).reshape(b, ch, g * p, g * p);
    }

    Tensor TimeEmbedding(Tensor t)
    {
        var freqs = exp(arange(TimeFrequencies, dtype: ScalarType.Float32, device: t.device) * _frequencyStep);
        var angles = (t * _timeScale).unsqueeze(1) * freqs.unsqueeze(0);
        return _time2.forward(nn.functional.silu(_time1.forward(cat([angles.sin(), angles.cos()], 1))));
    }
}
