using MMInterp.Kernels.Hooks;
using MMInterp.Kernels.Models.Vlm;
using TorchSharp;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Interp.Vlm;

/// <summary>Hook functions and forward helpers shared by the VLM analyses.</summary>
public static class VlmInterventions
{
    /// <summary>Hook names of one LM state kind at block <paramref name="layer"/>: "resid" (layer -1 = the embeddings,
    /// i.e. block 0's resid_pre; else resid_post), "attn" (hook_z: restoring z restores the attention output exactly,
    /// out_proj being linear and per position), "mlp" (hook_post: likewise for the MLP output).</summary>
    public static string HookName(string kind, int layer) => kind switch
    {
        "resid" => layer < 0 ? "lm.blocks.0.hook_resid_pre" : $"lm.blocks.{layer}.hook_resid_post",
        "attn" => $"lm.blocks.{layer}.attn.hook_z",
        "mlp" => $"lm.blocks.{layer}.mlp.hook_post",
        _ => throw new ArgumentException($"unknown state kind '{kind}': expected resid, attn or mlp"),
    };

    /// <summary>Writes clean[position[j]] into row batch[j] at sequence position position[j] (dims 0 and 1 of the activation).</summary>
    public static HookFn RestoreAt(Tensor clean, Tensor batch, Tensor position) => (x, p) =>
    {
        if (clean.dim() != x.dim() - 1 || !clean.shape.SequenceEqual(x.shape.Skip(1)))
            throw new ArgumentException($"clean state for '{p.Name}' is [{string.Join(",", clean.shape)}], the activation [{string.Join(",", x.shape)}]");
        var y = x.clone();
        y.index_put_(clean.index_select(0, position), batch, position);
        return y;
    };

    /// <summary>Attention knockout on an attn.hook_pattern [B,H,T,T]: in row query[b] the keys where block[b] is true get
    /// zero weight and the row is renormalised (equal to a -inf score before the softmax).</summary>
    public static HookFn Knockout(Tensor query, Tensor block) => (pattern, p) =>
    {
        var (b, t) = (pattern.shape[0], pattern.shape[2]);
        if (block.shape[0] != b || block.shape[1] != t)
            throw new ArgumentException($"knockout mask is [{string.Join(",", block.shape)}] but '{p.Name}' has batch {b} and {t} positions");
        var keep = ones(b, t, t, device: pattern.device);
        keep.index_put_((~block).to_type(ScalarType.Float32), arange(b, device: pattern.device), query);
        var kept = pattern * keep.unsqueeze(1);
        return kept / kept.sum(-1, keepdim: true);
    };

    /// <summary>Softmax probability of each row's answer token. [B]</summary>
    public static Tensor AnswerProbability(Tensor logits, Tensor answers) =>
        logits.softmax(-1).gather(1, answers.view(-1, 1)).squeeze(1);
}
