using MMInterp.Kernels.Models.Llm;

namespace MMInterp.Kernels.Checkpoints;

/// <summary>
/// The state-dict keys and shapes of HF LlamaForCausalLM / Qwen2ForCausalLM for a config, computed from the config
/// alone so a directory can be checked without allocating the model (a 7B decoder is 14 GB in bf16). A test holds it
/// equal to <see cref="LlamaForCausalLm"/>'s named_parameters().
/// </summary>
public static class LlamaHfKeys
{
    /// <param name="prefix">"" for a lone decoder ("model.embed_tokens.weight", "lm_head.weight")</param>
    public static IReadOnlyDictionary<string, long[]> Expected(LlamaConfig c, string prefix = "")
    {
        var keys = new Dictionary<string, long[]>(StringComparer.Ordinal);
        long h = c.HiddenSize, q = (long)c.NumHeads * c.HeadDim, kv = (long)c.NumKvHeads * c.HeadDim, i = c.IntermediateSize;
        keys[$"{prefix}model.embed_tokens.weight"] = [c.VocabSize, h];
        for (var l = 0; l < c.NumLayers; l++)
        {
            var p = $"{prefix}model.layers.{l}.";
            Linear(keys, p + "self_attn.q_proj", h, q, c.QkvBias);
            Linear(keys, p + "self_attn.k_proj", h, kv, c.QkvBias);
            Linear(keys, p + "self_attn.v_proj", h, kv, c.QkvBias);
            Linear(keys, p + "self_attn.o_proj", q, h, c.OutputBias);
            Linear(keys, p + "mlp.gate_proj", h, i, c.MlpBias);
            Linear(keys, p + "mlp.up_proj", h, i, c.MlpBias);
            Linear(keys, p + "mlp.down_proj", i, h, c.MlpBias);
            keys[p + "input_layernorm.weight"] = [h];
            keys[p + "post_attention_layernorm.weight"] = [h];
        }
        keys[$"{prefix}model.norm.weight"] = [h];
        if (!c.TieWordEmbeddings) keys[$"{prefix}lm_head.weight"] = [c.VocabSize, h];
        return keys;
    }

    static void Linear(Dictionary<string, long[]> keys, string name, long input, long output, bool bias)
    {
        keys[$"{name}.weight"] = [output, input];
        if (bias) keys[$"{name}.bias"] = [output];
    }
}
