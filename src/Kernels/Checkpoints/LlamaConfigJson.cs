using System.Text.Json;
using System.Text.Json.Nodes;
using MMInterp.Kernels.IO;
using MMInterp.Kernels.Models.Llm;
using static MMInterp.Kernels.Checkpoints.ConfigFields;

namespace MMInterp.Kernels.Checkpoints;

/// <summary>
/// Reads and writes HF LlamaConfig / Qwen2Config JSON (config.json of a LlamaForCausalLM or Qwen2ForCausalLM, or a
/// LLaVA config's text_config). Absent fields take HF's defaults for the model_type; fields that would change the
/// computation in ways this decoder does not implement (sliding-window attention, partial rotary, hidden_act other than
/// silu, rope_scaling types other than linear/dynamic/llama3) are refused by name.
/// </summary>
public static class LlamaConfigJson
{
    public static LlamaConfig Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"model config not found: {path}", path);
        return Read(JsonFiles.ReadObject(path), path);
    }

    /// <summary>The decoder config in <paramref name="root"/>; errors are one line starting with <paramref name="path"/>.</summary>
    public static LlamaConfig Read(JsonObject root, string path)
    {
        try
        {
            var type = String(root, "model_type") ?? "llama";
            if (type is "llava" or "llava_next" || root["text_config"] is JsonObject)
                throw new ArgumentException($"model_type '{type}' is a multimodal config; its text_config holds the decoder");
            if (type is not ("llama" or "qwen2"))
                throw new ArgumentException($"model_type {JsonFiles.Quote(type)} is not a Llama-family decoder (expected llama or qwen2)");
            var qwen = type == "qwen2";
            var act = String(root, "hidden_act") ?? "silu";
            if (act != "silu") throw new ArgumentException($"hidden_act {JsonFiles.Quote(act)} is not supported (Llama and Qwen2 use silu)");
            if (Bool(root, "use_sliding_window", false)) throw new ArgumentException("use_sliding_window is true; sliding-window attention is not supported");
            if (Double(root, "partial_rotary_factor", 1) != 1) throw new ArgumentException($"partial_rotary_factor {Number(root, "partial_rotary_factor")} is not supported (only 1)");
            var heads = Int(root, "num_attention_heads", 32);
            var maxPositions = Int(root, "max_position_embeddings", qwen ? 32768 : 2048);
            var attentionBias = !qwen && Bool(root, "attention_bias", false);
            var config = new LlamaConfig
            {
                ModelType = type,
                VocabSize = Int(root, "vocab_size", qwen ? 151936 : 32000),
                HiddenSize = Int(root, "hidden_size", 4096),
                IntermediateSize = Int(root, "intermediate_size", qwen ? 22016 : 11008),
                NumLayers = Int(root, "num_hidden_layers", 32),
                NumHeads = heads,
                NumKvHeads = Int(root, "num_key_value_heads", heads),
                ExplicitHeadDim = IntOrNull(root, "head_dim"),
                RmsNormEps = Double(root, "rms_norm_eps", 1e-6),
                RopeTheta = Double(root, "rope_theta", 10000),
                RopeScaling = Scaling(root, maxPositions),
                MaxPositions = maxPositions,
                TieWordEmbeddings = Bool(root, "tie_word_embeddings", false),
                QkvBias = qwen || attentionBias,
                OutputBias = attentionBias,
                MlpBias = !qwen && Bool(root, "mlp_bias", false),
                BosTokenId = root.ContainsKey("bos_token_id") ? IntOrNull(root, "bos_token_id") : qwen ? null : 1,
                EosTokenIds = root.ContainsKey("eos_token_id") ? IntList(root, "eos_token_id") : qwen ? [] : [2],
            };
            return config.Validate();
        }
        catch (ArgumentException e) { throw new InvalidDataException($"{path}: {JsonFiles.Reason(e)}"); }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{path}: a field has the wrong JSON type or is not valid text ({JsonFiles.Line(e.Message)})");
        }
    }

    /// <summary>rope_scaling (HF writes its kind as "rope_type", older configs as "type"); null or "default" is none.</summary>
    static RopeScaling? Scaling(JsonObject root, int maxPositions)
    {
        switch (root["rope_scaling"])
        {
            case null: return null;
            case JsonObject s:
                var kind = String(s, "rope_type") ?? String(s, "type") ?? throw new ArgumentException("rope_scaling has neither rope_type nor type");
                if (kind == "default") return null;
                if (s["factor"] is null) throw new ArgumentException($"rope_scaling ({kind}) has no factor");
                var scaling = new RopeScaling { Type = kind, Factor = Number(s, "factor") };
                if (kind != RopeScaling.Llama3) return scaling;
                foreach (var key in new[] { "low_freq_factor", "high_freq_factor", "original_max_position_embeddings" })
                    if (s[key] is null) throw new ArgumentException($"rope_scaling (llama3) has no {key}");
                return scaling with
                {
                    LowFreqFactor = Number(s, "low_freq_factor"),
                    HighFreqFactor = Number(s, "high_freq_factor"),
                    OriginalMaxPositions = Int(s, "original_max_position_embeddings", maxPositions),
                };
            default: throw new ArgumentException($"rope_scaling must be an object or null, got {JsonFiles.Quote(root["rope_scaling"])}");
        }
    }

    /// <summary>The config as HF writes it (model_type, architectures and the fields <see cref="Read"/> reads).</summary>
    public static JsonObject ToJson(LlamaConfig c)
    {
        var qwen = c.ModelType == "qwen2";
        var root = new JsonObject
        {
            ["architectures"] = new JsonArray(qwen ? "Qwen2ForCausalLM" : "LlamaForCausalLM"),
            ["model_type"] = c.ModelType,
            ["vocab_size"] = c.VocabSize, ["hidden_size"] = c.HiddenSize, ["intermediate_size"] = c.IntermediateSize,
            ["num_hidden_layers"] = c.NumLayers, ["num_attention_heads"] = c.NumHeads, ["num_key_value_heads"] = c.NumKvHeads,
            ["hidden_act"] = "silu", ["max_position_embeddings"] = c.MaxPositions, ["rms_norm_eps"] = c.RmsNormEps,
            ["rope_theta"] = c.RopeTheta, ["tie_word_embeddings"] = c.TieWordEmbeddings,
            ["bos_token_id"] = c.BosTokenId,
            ["eos_token_id"] = c.EosTokenIds.Count == 1 ? c.EosTokenIds[0] : new JsonArray(c.EosTokenIds.Select(e => (JsonNode?)e).ToArray()),
        };
        if (c.ExplicitHeadDim is int d) root["head_dim"] = d;
        if (!qwen)
        {
            if (c.QkvBias != c.OutputBias) throw new ArgumentException("a llama config has attention_bias on all of q/k/v/o or none (biases on q/k/v alone are qwen2)");
            root["attention_bias"] = c.QkvBias;
            root["mlp_bias"] = c.MlpBias;
        }
        else if (!c.QkvBias || c.OutputBias || c.MlpBias) throw new ArgumentException("a qwen2 config has biases on q/k/v only");
        if (c.RopeScaling is { } s)
        {
            var scaling = new JsonObject { ["rope_type"] = s.Type, ["factor"] = s.Factor };
            if (s.Type == RopeScaling.Llama3)
            {
                scaling["low_freq_factor"] = s.LowFreqFactor;
                scaling["high_freq_factor"] = s.HighFreqFactor;
                scaling["original_max_position_embeddings"] = s.OriginalMaxPositions;
            }
            root["rope_scaling"] = scaling;
        }
        return root;
    }

    public static void Write(LlamaConfig c, string path) =>
        File.WriteAllText(path, ToJson(c).ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
}
