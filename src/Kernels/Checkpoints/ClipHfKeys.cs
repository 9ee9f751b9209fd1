using MMInterp.Kernels.Models.Clip;

namespace MMInterp.Kernels.Checkpoints;

/// <summary>
/// The state-dict keys and shapes of an HF CLIPModel of a given config, computed from the config alone so a directory
/// can be checked without allocating the model (ViT-H/14 is ~4 GB in fp32). A test holds it equal to
/// <see cref="ClipModel"/>'s named_parameters().
/// </summary>
public static class ClipHfKeys
{
    /// <summary>Buffers that HF writes in older checkpoints and the model recomputes; they are neither expected nor refused.</summary>
    public static bool IsIgnoredBuffer(string key) => key.EndsWith(".position_ids", StringComparison.Ordinal);

    public static IReadOnlyDictionary<string, long[]> Expected(ClipConfig c)
    {
        var keys = new Dictionary<string, long[]>(StringComparer.Ordinal);
        var (t, v) = (c.Text.Tower, c.Vision.Tower);
        keys["text_model.embeddings.token_embedding.weight"] = [c.Text.VocabSize, t.HiddenSize];
        keys["text_model.embeddings.position_embedding.weight"] = [c.Text.MaxPositions, t.HiddenSize];
        Encoder(keys, "text_model", t);
        Norm(keys, "text_model.final_layer_norm", t.HiddenSize);
        keys["vision_model.embeddings.class_embedding"] = [v.HiddenSize];
        keys["vision_model.embeddings.patch_embedding.weight"] = [v.HiddenSize, c.Vision.NumChannels, c.Vision.PatchSize, c.Vision.PatchSize];
        keys["vision_model.embeddings.position_embedding.weight"] = [c.Vision.NumPositions, v.HiddenSize];
        Norm(keys, "vision_model.pre_layrnorm", v.HiddenSize); // HF's spelling
        Encoder(keys, "vision_model", v);
        Norm(keys, "vision_model.post_layernorm", v.HiddenSize);
        keys["visual_projection.weight"] = [c.ProjectionDim, v.HiddenSize];
        keys["text_projection.weight"] = [c.ProjectionDim, t.HiddenSize];
        keys["logit_scale"] = [];
        return keys;
    }

    /// <summary>The keys of HF CLIPTextModel (text_model.*), plus text_projection.weight for
    /// CLIPTextModelWithProjection.</summary>
    public static IReadOnlyDictionary<string, long[]> ExpectedText(ClipTextModelConfig c)
    {
        var keys = new Dictionary<string, long[]>(StringComparer.Ordinal);
        var t = c.Text.Tower;
        keys["text_model.embeddings.token_embedding.weight"] = [c.Text.VocabSize, t.HiddenSize];
        keys["text_model.embeddings.position_embedding.weight"] = [c.Text.MaxPositions, t.HiddenSize];
        Encoder(keys, "text_model", t);
        Norm(keys, "text_model.final_layer_norm", t.HiddenSize);
        if (c.ProjectionDim is int p) keys["text_projection.weight"] = [p, t.HiddenSize];
        return keys;
    }

    static void Encoder(Dictionary<string, long[]> keys, string tower, ClipTowerConfig c)
    {
        for (var i = 0; i < c.NumLayers; i++)
        {
            var p = $"{tower}.encoder.layers.{i}";
            foreach (var proj in new[] { "q_proj", "k_proj", "v_proj", "out_proj" }) Linear(keys, $"{p}.self_attn.{proj}", c.HiddenSize, c.HiddenSize);
            Norm(keys, $"{p}.layer_norm1", c.HiddenSize);
            Linear(keys, $"{p}.mlp.fc1", c.HiddenSize, c.IntermediateSize);
            Linear(keys, $"{p}.mlp.fc2", c.IntermediateSize, c.HiddenSize);
            Norm(keys, $"{p}.layer_norm2", c.HiddenSize);
        }
    }

    static void Linear(Dictionary<string, long[]> keys, string name, int input, int output)
    {
        keys[$"{name}.weight"] = [output, input];
        keys[$"{name}.bias"] = [output];
    }

    static void Norm(Dictionary<string, long[]> keys, string name, int width)
    {
        keys[$"{name}.weight"] = [width];
        keys[$"{name}.bias"] = [width];
    }

    public static long ParameterCount(IReadOnlyDictionary<string, long[]> keys) => keys.Values.Sum(s => s.Aggregate(1L, (a, b) => a * b));
}
