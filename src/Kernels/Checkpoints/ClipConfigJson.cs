using System.Text.Json;
using System.Text.Json.Nodes;
using MMInterp.Kernels.Models.Clip;

namespace MMInterp.Kernels.Checkpoints;

/// <summary>Reads and writes HF CLIPConfig JSON (text_config / vision_config with HF field names).</summary>
public static class ClipConfigJson
{
    public static ClipConfig Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"model config not found: {path}", path);
        JsonObject root;
        try { root = JsonNode.Parse(File.ReadAllText(path))?.AsObject() ?? throw new InvalidDataException($"{path}: empty"); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not valid JSON ({e.Message})"); }
        var text = root["text_config"]?.AsObject() ?? throw new InvalidDataException($"{path}: no text_config (not a CLIPConfig)");
        var vision = root["vision_config"]?.AsObject() ?? throw new InvalidDataException($"{path}: no vision_config (not a CLIPConfig)");
        try
        {
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
        catch (ArgumentException e) { throw new InvalidDataException($"{path}: {e.Message}"); }
    }

    static ClipTowerConfig Tower(JsonObject o, int hidden, int intermediate, int layers, int heads) => new()
    {
        HiddenSize = Int(o, "hidden_size", hidden),
        IntermediateSize = Int(o, "intermediate_size", intermediate),
        NumLayers = Int(o, "num_hidden_layers", layers),
        NumHeads = Int(o, "num_attention_heads", heads),
        LayerNormEps = Double(o, "layer_norm_eps", 1e-5),
        HiddenAct = o["hidden_act"]?.GetValue<string>() ?? "quick_gelu",
    };

    static int Int(JsonObject o, string key, int fallback) => o[key] is { } n ? (int)n.GetValue<double>() : fallback;
    static double Double(JsonObject o, string key, double fallback) => o[key] is { } n ? n.GetValue<double>() : fallback;

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
