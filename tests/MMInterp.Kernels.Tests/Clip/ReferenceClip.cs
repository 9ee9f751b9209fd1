using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.Clip;

/// <summary>An independent CLIP forward pass written straight from HF's modeling_clip.py over a raw state dict,
/// one head at a time, with hand-written LayerNorm and quick-GELU. Used to check the model classes.</summary>
internal static class ReferenceClip
{
    static Tensor Ln(Dictionary<string, Tensor> w, string key, Tensor x)
    {
        var mean = x.mean([-1], keepdim: true);
        var variance = (x - mean).pow(2).mean([-1], keepdim: true);
        return (x - mean) / (variance + 1e-5).sqrt() * w[key + ".weight"] + w[key + ".bias"];
    }

    static Tensor Lin(Dictionary<string, Tensor> w, string key, Tensor x, bool bias = true)
    {
        var y = x.matmul(w[key + ".weight"].t());
        return bias ? y + w[key + ".bias"] : y;
    }

    static Tensor Layer(Dictionary<string, Tensor> w, string p, Tensor x, int heads, bool causal)
    {
        var h = Ln(w, p + ".layer_norm1", x);
        var q = Lin(w, p + ".self_attn.q_proj", h);
        var k = Lin(w, p + ".self_attn.k_proj", h);
        var v = Lin(w, p + ".self_attn.v_proj", h);
        var d = x.shape[2] / heads;
        var t = x.shape[1];
        var outputs = new List<Tensor>();
        for (var head = 0; head < heads; head++)
        {
            var qh = q.narrow(2, head * d, d);
            var kh = k.narrow(2, head * d, d);
            var vh = v.narrow(2, head * d, d);
            var scores = qh.matmul(kh.transpose(1, 2)) / Math.Sqrt(d);
            if (causal)
            {
                var allowed = ones(t, t).tril();
                scores = scores.masked_fill(allowed.eq(0), float.NegativeInfinity);
            }
            outputs.Add(scores.softmax(-1).matmul(vh));
        }
        var attn = Lin(w, p + ".self_attn.out_proj", cat(outputs, 2));
        x = x + attn;
        var m = Lin(w, p + ".mlp.fc1", Ln(w, p + ".layer_norm2", x));
        m = m * (1 / (1 + (-1.702 * m).exp()));
        return x + Lin(w, p + ".mlp.fc2", m);
    }

    public static Tensor Image(Dictionary<string, Tensor> w, Tensor images, int heads)
    {
        var b = images.shape[0];
        var patch = w["vision_model.embeddings.patch_embedding.weight"];
        var p = (int)patch.shape[2];
        var g = images.shape[2] / p;
        // Patches as flattened vectors (row-major over the grid), projected by the conv kernel as a matrix.
        var patches = images.view(b, 3, g, p, g, p).permute(0, 2, 4, 1, 3, 5).reshape(b, g * g, 3 * p * p);
        var x = patches.matmul(patch.reshape(patch.shape[0], -1).t());
        var cls = w["vision_model.embeddings.class_embedding"].expand(b, 1, -1);
        x = cat([cls, x], 1) + w["vision_model.embeddings.position_embedding.weight"];
        x = Ln(w, "vision_model.pre_layrnorm", x);
        for (var i = 0; w.ContainsKey($"vision_model.encoder.layers.{i}.mlp.fc1.weight"); i++)
            x = Layer(w, $"vision_model.encoder.layers.{i}", x, heads, causal: false);
        var pooled = Ln(w, "vision_model.post_layernorm", x.select(1, 0));
        return Lin(w, "visual_projection", pooled, bias: false);
    }

    public static Tensor Text(Dictionary<string, Tensor> w, Tensor ids, int heads, long eos)
    {
        var t = ids.shape[1];
        var x = w["text_model.embeddings.token_embedding.weight"].index_select(0, ids.flatten()).view(ids.shape[0], t, -1)
                + w["text_model.embeddings.position_embedding.weight"].narrow(0, 0, t);
        for (var i = 0; w.ContainsKey($"text_model.encoder.layers.{i}.mlp.fc1.weight"); i++)
            x = Layer(w, $"text_model.encoder.layers.{i}", x, heads, causal: true);
        x = Ln(w, "text_model.final_layer_norm", x);
        var rows = new List<Tensor>();
        var idArray = ids.data<long>().ToArray();
        for (var r = 0; r < ids.shape[0]; r++)
        {
            var position = Enumerable.Range(0, (int)t).First(j => idArray[r * t + j] == eos);
            rows.Add(x[r, position]);
        }
        return Lin(w, "text_projection", stack(rows), bias: false);
    }

    public static Tensor Logits(Dictionary<string, Tensor> w, Tensor images, Tensor ids, int heads, long eos)
    {
        var i = Image(w, images, heads);
        var t = Text(w, ids, heads, eos);
        i = i / i.norm(1, keepdim: true);
        t = t / t.norm(1, keepdim: true);
        return w["logit_scale"].exp() * i.matmul(t.t());
    }
}
