using System.Text.Json;
using System.Text.Json.Nodes;
using MMInterp.Kernels.IO;
using MMInterp.Kernels.Models.Clip;

namespace MMInterp.Kernels.Checkpoints;

/// <summary>Reads and writes HF CLIPConfig JSON (text_config / vision_config with HF field names). Reading accepts what
/// real checkpoints write: partial sub-configs (HF's defaults fill the rest), the legacy text_config_dict /
/// vision_config_dict (which override text_config / vision_config, as HF's CLIPConfig does), extra fields (ignored).</summary>
public static class ClipConfigJson
{
    public static ClipConfig Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"model config not found: {path}", path);
        return Read(JsonFiles.ReadObject(path), path);
    }

    /// <summary>The config in <paramref name="root"/>; errors name <paramref name="path"/>.</summary>
    public static ClipConfig Read(JsonObject root, string path)
    {
        try
        {
            CheckFamily(root, path);
            var text = SubConfig(root, "text_config", path);
            var vision = SubConfig(root, "vision_config", path);
            // Defaults are HF's CLIPTextConfig / CLIPVisionConfig defaults, for configs that omit fields.
            var config = new ClipConfig
            {
                ProjectionDim = Int(root, "projection_dim", 512),
                LogitScaleInit = Double(root, "logit_scale_init_value", 2.6592),
                Text = new ClipTextConfig
                {
                    Tower = Tower(text, 512, 2048, 12, 8),
                    VocabSize = Int(text, "vocab_size", 49408),
                    MaxPositions = Int(text, "max_position_embeddings", 77),
                    EosTokenId = Int(text, "eos_token_id", 2),
                    BosTokenId = Int(text, "bos_token_id", 1),
                    PadTokenId = Int(text, "pad_token_id", 1),
                },
                Vision = new ClipVisionConfig
                {
                    Tower = Tower(vision, 768, 3072, 12, 12),
                    ImageSize = Int(vision, "image_size", 224),
                    PatchSize = Int(vision, "patch_size", 32),
                    NumChannels = Int(vision, "num_channels", 3),
                },
            };
            return config.Validate();
        }
        catch (ArgumentException e) { throw new InvalidDataException($"{path}: {JsonFiles.Reason(e)}"); }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            // Also a string JSON allows but text does not (a lone surrogate escape).
            throw new InvalidDataException($"{path}: a field has the wrong JSON type or is not valid text ({JsonFiles.Line(e.Message)})");
        }
    }

    /// <summary>Refuses configs of other model types (LLaVA, a lone vision tower, ...) with what they are.</summary>
    static void CheckFamily(JsonObject root, string path)
    {
        var modelType = root["model_type"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
        // Compact JSON for anything but a plain string, so a list or a newline cannot split the error line.
        var architectures = root["architectures"] is JsonArray a
            ? a.Where(n => n is not null).Select(n => n is JsonValue sv && sv.TryGetValue<string>(out var name) && !name.Any(char.IsControl) ? name : JsonFiles.Quote(n)).ToList()
            : [];
        if (modelType is not null && modelType != "clip")
            throw new InvalidDataException($"{path}: model_type {(modelType.Any(char.IsControl) ? JsonFiles.Quote(modelType) : $"'{modelType}'")}{Archs(architectures)} is not a CLIPModel (expected model_type 'clip')");
        if (architectures.Count > 0 && !architectures.Contains("CLIPModel"))
            throw new InvalidDataException($"{path}: architectures{Archs(architectures)} do not include CLIPModel");
    }

    static string Archs(List<string> a) => a.Count == 0 ? "" : $" ({string.Join(", ", a)})";

    /// <summary>text_config merged with the legacy text_config_dict (the dict wins, as in HF's CLIPConfig).</summary>
    static JsonObject SubConfig(JsonObject root, string key, string path)
    {
        var merged = new JsonObject();
        var found = false;
        foreach (var name in new[] { key, key + "_dict" })
        {
            switch (root[name])
            {
                case null: continue;
                case JsonObject o:
                    found = true;
                    foreach (var (k, v) in o) merged[k] = v?.DeepClone();
                    break;
                default: throw new InvalidDataException($"{path}: {name} is not a JSON object");
            }
        }
        if (!found) throw new InvalidDataException($"{path}: no {key} (not a CLIPConfig)");
        return merged;
    }

    internal static ClipTowerConfig Tower(JsonObject o, int hidden, int intermediate, int layers, int heads) => new()
    {
        HiddenSize = Int(o, "hidden_size", hidden),
        IntermediateSize = Int(o, "intermediate_size", intermediate),
        NumLayers = Int(o, "num_hidden_layers", layers),
        NumHeads = Int(o, "num_attention_heads", heads),
        LayerNormEps = Double(o, "layer_norm_eps", 1e-5),
        HiddenAct = o["hidden_act"] is { } act ? act.GetValue<string>() : "quick_gelu",
    };

    static int Int(JsonObject o, string key, int fallback)
    {
        if (o[key] is null) return fallback;
        var d = Number(o, key);
        if (d != Math.Floor(d) || d is < int.MinValue or > int.MaxValue) throw new ArgumentException($"{key} must be an integer, got {d}", key);
        return (int)d;
    }

    static double Double(JsonObject o, string key, double fallback) => o[key] is null ? fallback : Number(o, key);

    /// <summary>A finite JSON number: 1e400 (infinite as a double) and NaN spelled as a string are refused by name.</summary>
    static double Number(JsonObject o, string key)
    {
        var node = o[key];
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.Number)
            return v.TryGetValue<double>(out var d) && double.IsFinite(d) ? d : throw new ArgumentException($"{key} must be a finite number, got {v.ToJsonString()}", key);
        throw new ArgumentException($"{key} must be a number, got {node?.ToJsonString() ?? "null"}", key);
    }

    public static void Write(ClipConfig c, string path)
    {
        JsonObject Tower(ClipTowerConfig t) => new()
        {
            ["hidden_size"] = t.HiddenSize, ["intermediate_size"] = t.IntermediateSize, ["num_hidden_layers"] = t.NumLayers,
            ["num_attention_heads"] = t.NumHeads, ["layer_norm_eps"] = t.LayerNormEps, ["hidden_act"] = t.HiddenAct,
        };
        var text = Tower(c.Text.Tower);
        text["vocab_size"] = c.Text.VocabSize; text["max_position_embeddings"] = c.Text.MaxPositions;
        text["eos_token_id"] = c.Text.EosTokenId; text["bos_token_id"] = c.Text.BosTokenId; text["pad_token_id"] = c.Text.PadTokenId;
        text["model_type"] = "clip_text_model"; text["projection_dim"] = c.ProjectionDim;
        var vision = Tower(c.Vision.Tower);
        vision["image_size"] = c.Vision.ImageSize; vision["patch_size"] = c.Vision.PatchSize; vision["num_channels"] = c.Vision.NumChannels;
        vision["model_type"] = "clip_vision_model"; vision["projection_dim"] = c.ProjectionDim;
        var root = new JsonObject
        {
            ["architectures"] = new JsonArray("CLIPModel"), ["model_type"] = "clip",
            ["projection_dim"] = c.ProjectionDim, ["logit_scale_init_value"] = c.LogitScaleInit,
            ["text_config"] = text, ["vision_config"] = vision,
        };
        File.WriteAllText(path, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }
}
