using System.Text.Json.Nodes;
using MMInterp.Kernels.Models.Clip;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.Clip;

/// <summary>
/// The small random CLIP of tests/reference/clip_openai_reference.py, rebuilt bit for bit: its config (from the
/// committed clip_openai_model.json) and its weights from the same integer-hash formula (hf_value there), so the
/// weights need not be committed. Each tensor is rounded to the dtype the checkpoint stores it in (biases BF16,
/// norms F16, the rest F32), as the script does before running OpenAI's model.
/// </summary>
internal static class OpenAiReferenceWeights
{
    public static string Dir => Path.Combine(AppContext.BaseDirectory, "Clip", "Reference");

    public static JsonObject Spec => (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(Dir, "clip_openai_model.json")))!;

    /// <summary>HF CLIPConfig of OpenAI's CLIP(**ARCH): vision heads are width/64 in OpenAI's code, MLPs 4x wide.</summary>
    public static ClipConfig Config()
    {
        var a = Spec["openai_clip_model_args"]!;
        int I(string k) => a[k]!.GetValue<int>();
        return new ClipConfig
        {
            ProjectionDim = I("embed_dim"),
            Vision = new ClipVisionConfig
            {
                ImageSize = I("image_resolution"), PatchSize = I("vision_patch_size"),
                Tower = new ClipTowerConfig { HiddenSize = I("vision_width"), IntermediateSize = 4 * I("vision_width"), NumLayers = I("vision_layers"), NumHeads = I("vision_width") / 64 },
            },
            Text = new ClipTextConfig
            {
                VocabSize = I("vocab_size"), MaxPositions = I("context_length"), EosTokenId = 2,
                Tower = new ClipTowerConfig { HiddenSize = I("transformer_width"), IntermediateSize = 4 * I("transformer_width"), NumLayers = I("transformer_layers"), NumHeads = I("transformer_heads") },
            },
        }.Validate();
    }

    public static string StorageDType(string name) => name.EndsWith(".bias", StringComparison.Ordinal) ? "BF16" : IsNorm(name) ? "F16" : "F32";

    static bool IsNorm(string name) => name.Contains("norm") || name.Contains("layrnorm");

    static uint Fnv1a(string name)
    {
        var h = 0x811C9DC5u;
        foreach (var b in System.Text.Encoding.UTF8.GetBytes(name)) h = unchecked((h ^ b) * 0x01000193u);
        return h;
    }

    /// <summary>The formula's value as float32, rounded to the storage dtype (kept as float32).</summary>
    public static Tensor Value(string name, long[] shape)
    {
        var n = shape.Aggregate(1L, (x, y) => x * y);
        var seed = Fnv1a(name);
        var fanIn = shape.Length == 0 ? 1 : n / shape[0];
        var data = new float[n];
        for (long i = 0; i < n; i++)
        {
            var x = unchecked(seed + (uint)i * 0x9E3779B1u);
            x = unchecked(((x >> 16) ^ x) * 0x45D9F3Bu);
            x = unchecked(((x >> 16) ^ x) * 0x45D9F3Bu);
            x = (x >> 16) ^ x;
            var s = x / 4294967296.0 * 2.0 - 1.0;
            double v;
            if (name == "logit_scale") v = 2.6592;
            else if (IsNorm(name) && name.EndsWith(".weight", StringComparison.Ordinal)) v = 1.0 + 0.25 * s;
            else if (name.EndsWith(".bias", StringComparison.Ordinal)) v = 0.1 * s;
            else if (name.Contains("embedding")) v = 0.5 * s;
            else v = s * Math.Sqrt(3.0 / fanIn);
            data[i] = (float)v;
        }
        var t = tensor(data).reshape(shape);
        return StorageDType(name) switch
        {
            "F16" => t.to(float16).to(float32),
            "BF16" => t.to(bfloat16).to(float32),
            _ => t,
        };
    }

    /// <summary>Every weight under its HF key, float32 (values already rounded to their storage dtype).</summary>
    public static Dictionary<string, Tensor> State(ClipConfig config) =>
        Checkpoints.ClipHfKeys.Expected(config).ToDictionary(kv => kv.Key, kv => Value(kv.Key, kv.Value));

    /// <summary>The same, each in its storage dtype, as a published mixed-precision checkpoint holds them.</summary>
    public static Dictionary<string, Tensor> StoredState(ClipConfig config) =>
        State(config).ToDictionary(kv => kv.Key, kv => StorageDType(kv.Key) switch
        {
            "F16" => kv.Value.to(float16),
            "BF16" => kv.Value.to(bfloat16),
            _ => kv.Value,
        });
}
