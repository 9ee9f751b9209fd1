using MMInterp.Kernels.Hooks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.Llm;

/// <summary>HF LlamaModel / Qwen2Model: embed_tokens, layers.{i}, norm. Its forward runs the layers on input
/// embeddings; <see cref="LlamaForCausalLm"/> adds the head and the masks.</summary>
public sealed class LlamaModel : nn.Module
{
    readonly StoredEmbedding _embed;
    readonly ModuleList<LlamaDecoderLayer> _layers;
    readonly RmsNorm _norm;

    public LlamaModel(LlamaConfig c, HookRegistry hooks, string prefix, ScalarType dtype, bool initialise) : base("model")
    {
        register_module("embed_tokens", _embed = new StoredEmbedding("embed_tokens", c.VocabSize, c.HiddenSize, dtype, initialise));
        _layers = nn.ModuleList(Enumerable.Range(0, c.NumLayers).Select(i => new LlamaDecoderLayer(c, i, hooks, $"{prefix}.blocks.{i}", dtype, initialise)).ToArray());
        register_module("layers", _layers);
        register_module("norm", _norm = new RmsNorm("norm", c.HiddenSize, c.RmsNormEps, dtype, initialise));
    }

    public StoredEmbedding EmbedTokens => _embed;
    public RmsNorm Norm => _norm;
    public int Count => _layers.Count;

    /// <summary>The residual stream after the last layer (before the final norm), [B, T, D].</summary>
    public Tensor Forward(Tensor embeds, Tensor cos, Tensor sin, Tensor mask, LlamaKvCache? cache)
    {
        var x = embeds;
        for (var i = 0; i < _layers.Count; i++)
        {
            var y = _layers[i].Forward(x, cos, sin, mask, cache);
            // A block output no hook has seen is dead once the next block has read it (the caller's input is left alone).
            if (i > 0 && !_layers[i - 1].OutputHooked && !_layers[i].InputHooked) x.Dispose();
            x = y;
        }
        return x;
    }
}
