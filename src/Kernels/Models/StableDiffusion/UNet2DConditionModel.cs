using MMInterp.Kernels.Hooks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.StableDiffusion;

/// <summary>
/// The Stable Diffusion denoiser (SD 1.x, 2.x, SDXL) with diffusers' UNet2DConditionModel parameter names, so a
/// diffusers unet/ directory loads key for key. Forward: noisy latents, timestep and text states (plus, for SDXL, the
/// pooled text embedding and size/crop ids) -> the predicted noise (or v, as the checkpoint was trained).
/// Hook points (prefix "unet" unless given), in forward order:
///   unet.hook_temb [B,E]; unet.hook_conv_in;
///   unet.down.{i}.resnet.{j}.hook_out, unet.down.{i}.attn.{j}.blocks.{k}.{self|cross}.hook_pattern [B,H,T,S] /
///   .hook_z [B,T,H,dh], .blocks.{k}.mlp.hook_post, .blocks.{k}.hook_resid_post [B,T,C], unet.down.{i}.attn.{j}.hook_out,
///   unet.down.{i}.hook_out; the same under unet.mid (resnet.0, attn.0, resnet.1, hook_out) and unet.up.{i};
///   unet.hook_out (the prediction).
/// </summary>
public sealed class UNet2DConditionModel : nn.Module, ISdDenoiser
{
    readonly Conv2d _convIn, _convOut;
    readonly UNetTimestepEmbedding _timeEmbedding;
    readonly UNetTimestepEmbedding? _addEmbedding;
    readonly ModuleList<SdDownBlock2D> _down;
    readonly SdMidBlock2DCrossAttn _mid;
    readonly ModuleList<SdUpBlock2D> _up;
    readonly GroupNorm _normOut;
    readonly HookPoint _temb, _convInHook, _out;

    public UNet2DConditionModel(UNetConfig config, HookRegistry? hooks = null, string hookPrefix = "unet") : base("unet")
    {
        Config = config.Validate();
        Hooks = hooks ?? new HookRegistry();
        var c = config;
        var p = hookPrefix;
        register_module("conv_in", _convIn = nn.Conv2d(c.InChannels, c.BlockOutChannels[0], 3, padding: 1));
        register_module("time_embedding", _timeEmbedding = new UNetTimestepEmbedding(c.BlockOutChannels[0], c.TimeEmbedDim));
        if (c.TextTime) register_module("add_embedding", _addEmbedding = new UNetTimestepEmbedding(c.ProjectionClassEmbeddingsInputDim, c.TimeEmbedDim));
        _temb = Hooks.Register($"{p}.hook_temb");
        _convInHook = Hooks.Register($"{p}.hook_conv_in");
        var down = new List<SdDownBlock2D>();
        for (var i = 0; i < c.Levels; i++)
            down.Add(new SdDownBlock2D(c, i, i == 0 ? c.BlockOutChannels[0] : c.BlockOutChannels[i - 1], Hooks, $"{p}.down.{i}"));
        register_module("down_blocks", _down = nn.ModuleList(down.ToArray()));
        register_module("mid_block", _mid = new SdMidBlock2DCrossAttn(c, Hooks, $"{p}.mid"));
        var up = new List<SdUpBlock2D>();
        for (var i = 0; i < c.Levels; i++)
            up.Add(new SdUpBlock2D(c, i, i == 0 ? c.BlockOutChannels[^1] : c.BlockOutChannels[c.Levels - i], Hooks, $"{p}.up.{i}"));
        register_module("up_blocks", _up = nn.ModuleList(up.ToArray()));
        register_module("conv_norm_out", _normOut = SdGroupNorm.Create(c.NormNumGroups, c.BlockOutChannels[0], c.NormEps));
        register_module("conv_out", _convOut = nn.Conv2d(c.BlockOutChannels[0], c.OutChannels, 3, padding: 1));
        _out = Hooks.Register($"{p}.hook_out");
    }

    public UNetConfig Config { get; }
    public HookRegistry Hooks { get; }
    public SdDownBlock2D Down(int i) => _down[i];
    public SdMidBlock2DCrossAttn Mid => _mid;
    public SdUpBlock2D Up(int i) => _up[i];

    int ISdDenoiser.InChannels => Config.InChannels;
    int? ISdDenoiser.SampleSize => Config.SampleSize;

    Tensor ISdDenoiser.PredictNoise(Tensor latents, Tensor timesteps, Tensor encoderHiddenStates, SdAddedCondition? added) =>
        Forward(latents, timesteps, encoderHiddenStates, added?.TextEmbeds, added?.TimeIds);

    /// <param name="sample">[B, in_channels, H, W] noisy latents; H and W divisible by 2^(levels-1)</param>
    /// <param name="timestep">[B] or a single value (0-d or [1]) for the whole batch</param>
    /// <param name="encoderHiddenStates">[B, T, cross_attention_dim] text states</param>
    /// <param name="textEmbeds">SDXL (text_time): [B, P] pooled text embedding</param>
    /// <param name="timeIds">SDXL (text_time): [B, N] size and crop numbers (N x addition_time_embed_dim + P must be
    /// projection_class_embeddings_input_dim)</param>
    public Tensor Forward(Tensor sample, Tensor timestep, Tensor encoderHiddenStates, Tensor? textEmbeds = null, Tensor? timeIds = null)
    {
        using var scope = NewDisposeScope();
        var c = Config;
        var b = CheckInputs(sample, timestep, encoderHiddenStates, textEmbeds, timeIds);
        var t = timestep.dim() == 0 || timestep.shape[0] == 1 ? timestep.reshape(1).expand(b) : timestep;
        var emb = _timeEmbedding.Forward(UNetTimesteps.Embed(t, c.BlockOutChannels[0], c.FlipSinToCos, c.FreqShift).to(sample.device));
        if (_addEmbedding is not null)
        {
            var sizes = UNetTimesteps.Embed(timeIds!.flatten(), c.AdditionTimeEmbedDim, c.FlipSinToCos, c.FreqShift).reshape(b, -1);
            emb = emb + _addEmbedding.Forward(cat([textEmbeds!.to_type(ScalarType.Float32), sizes], 1));
        }
        emb = _temb.Apply(emb);
        var x = _convInHook.Apply(_convIn.forward(sample));
        var skips = new List<Tensor> { x };
        foreach (var block in _down) x = block.Forward(x, emb, encoderHiddenStates, skips);
        x = _mid.Forward(x, emb, encoderHiddenStates);
        foreach (var block in _up) x = block.Forward(x, emb, encoderHiddenStates, skips);
        x = _convOut.forward(nn.functional.silu(_normOut.forward(x)));
        return _out.Apply(x).MoveToOuterDisposeScope();
    }

    long CheckInputs(Tensor sample, Tensor timestep, Tensor states, Tensor? textEmbeds, Tensor? timeIds)
    {
        var c = Config;
        var factor = 1L << (c.Levels - 1);
        if (sample.dim() != 4 || sample.shape[1] != c.InChannels || sample.shape[2] % factor != 0 || sample.shape[3] % factor != 0)
            throw new ArgumentException($"U-Net sample must be [B,{c.InChannels},H,W] with H and W divisible by {factor}, got [{string.Join(",", sample.shape)}]");
        var b = sample.shape[0];
        if (!(timestep.dim() == 0 || (timestep.dim() == 1 && (timestep.shape[0] == b || timestep.shape[0] == 1))))
            throw new ArgumentException($"timestep must be one value or [{b}], got [{string.Join(",", timestep.shape)}]");
        if (states.dim() != 3 || states.shape[0] != b || states.shape[2] != c.CrossAttentionDim)
            throw new ArgumentException($"encoder_hidden_states must be [{b},T,{c.CrossAttentionDim}], got [{string.Join(",", states.shape)}]");
        if (!c.TextTime)
        {
            if (textEmbeds is not null || timeIds is not null)
                throw new ArgumentException("text_embeds/time_ids were given but the config has no addition_embed_type text_time");
            return b;
        }
        if (textEmbeds is null || timeIds is null)
            throw new ArgumentException("addition_embed_type text_time needs text_embeds and time_ids (SDXL's added conditions)");
        if (textEmbeds.dim() != 2 || textEmbeds.shape[0] != b || timeIds.dim() != 2 || timeIds.shape[0] != b)
            throw new ArgumentException($"text_embeds and time_ids must be [{b},P] and [{b},N], got [{string.Join(",", textEmbeds.shape)}] and [{string.Join(",", timeIds.shape)}]");
        var width = textEmbeds.shape[1] + timeIds.shape[1] * c.AdditionTimeEmbedDim;
        if (width != c.ProjectionClassEmbeddingsInputDim)
            throw new ArgumentException($"text_embeds width {textEmbeds.shape[1]} + {timeIds.shape[1]} time ids x addition_time_embed_dim {c.AdditionTimeEmbedDim} = {width}, but projection_class_embeddings_input_dim is {c.ProjectionClassEmbeddingsInputDim}");
        return b;
    }
}
