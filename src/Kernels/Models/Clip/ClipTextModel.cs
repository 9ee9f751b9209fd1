using MMInterp.Kernels.Hooks;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.Clip;

/// <summary>A lone text tower's shape: HF CLIPTextConfig, with projection_dim when the model is
/// CLIPTextModelWithProjection (SDXL's text_encoder_2).</summary>
public sealed record ClipTextModelConfig(ClipTextConfig Text, int? ProjectionDim)
{
    public ClipTextModelConfig Validate()
    {
        // The same bounds as a full CLIPConfig's text side; the vision side of a default ClipConfig is valid.
        _ = new ClipConfig { Text = Text, ProjectionDim = ProjectionDim ?? 64 }.Validate();
        return this;
    }

    public double ParameterCount
    {
        get
        {
            double h = Text.Tower.HiddenSize;
            return (double)Text.VocabSize * h + Text.MaxPositions * h + Text.Tower.EncoderParameters + 2 * h + (ProjectionDim ?? 0) * h;
        }
    }
}

/// <summary>What a diffusion pipeline reads from a text tower for one batch of token ids.</summary>
/// <param name="LastHidden">last_hidden_state [B, T, D] (after final_layer_norm): SD1/SD2's conditioning</param>
/// <param name="State">hidden_states[-fromEnd] [B, T, D] (no final norm): SDXL's, with fromEnd 2</param>
/// <param name="Pooled">the EOS token's last_hidden_state [B, D] (pooler_output)</param>
/// <param name="Projected">text_projection(Pooled) [B, P] (text_embeds), null without a projection</param>
public sealed record ClipTextOutput(Tensor LastHidden, Tensor State, Tensor Pooled, Tensor? Projected);

/// <summary>HF CLIPTextModel (keys text_model.*) or CLIPTextModelWithProjection (plus text_projection.weight): the
/// text encoders of a diffusers Stable Diffusion pipeline. The tower is <see cref="ClipTextTransformer"/>, the same
/// class CLIPModel's text side is.</summary>
public sealed class ClipTextModel : nn.Module
{
    readonly ClipTextTransformer _text;
    readonly Linear? _projection;

    public ClipTextModel(ClipTextModelConfig config, HookRegistry? hooks = null) : base("clip_text")
    {
        Config = config.Validate();
        Hooks = hooks ?? new HookRegistry();
        register_module("text_model", _text = new ClipTextTransformer(config.Text, Hooks));
        if (config.ProjectionDim is int p)
            register_module("text_projection", _projection = nn.Linear(config.Text.Tower.HiddenSize, p, hasBias: false));
    }

    public ClipTextModelConfig Config { get; }
    public HookRegistry Hooks { get; }
    public ClipTextTransformer TextModel => _text;

    /// <param name="ids">[B, T] int64</param>
    /// <param name="fromEnd">which of HF's hidden_states to keep, counted from the end (1: the last block's output)</param>
    public ClipTextOutput Encode(Tensor ids, int fromEnd = 2)
    {
        var (hidden, pooled, state) = _text.Forward(ids, fromEnd);
        return new ClipTextOutput(hidden, state, pooled, _projection?.forward(pooled));
    }
}
