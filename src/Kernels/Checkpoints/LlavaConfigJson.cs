using System.Text.Json;
using System.Text.Json.Nodes;
using MMInterp.Kernels.IO;
using MMInterp.Kernels.Models.Clip;
using MMInterp.Kernels.Models.Llava;
using static MMInterp.Kernels.Checkpoints.ConfigFields;

namespace MMInterp.Kernels.Checkpoints;

/// <summary>
/// Reads and writes HF LlavaConfig JSON (config.json of a LlavaForConditionalGeneration): vision_config (a CLIP vision
/// tower, read as CLIPVisionConfig with HF's defaults), text_config (Llama or Qwen2, see <see cref="LlamaConfigJson"/>),
/// image_token_index (older) or image_token_id (newer), vision_feature_layer (an int or a list),
/// vision_feature_select_strategy, projector_hidden_act, multimodal_projector_bias. Errors are one line naming the file
/// and the field.
/// </summary>
public static class LlavaConfigJson
{
    public static LlavaConfig Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"model config not found: {path}", path);
        return Read(JsonFiles.ReadObject(path), path);
    }

    public static LlavaConfig Read(JsonObject root, string path)
    {
        try
        {
            var type = String(root, "model_type");
            if (type is not null && type != "llava")
                throw new ArgumentException($"model_type {JsonFiles.Quote(type)} is not a LLaVA config (expected 'llava' for LlavaForConditionalGeneration)");
            var vision = root["vision_config"] as JsonObject ?? throw new ArgumentException(root["vision_config"] is null
                ? "no vision_config (not a LlavaForConditionalGeneration config)" : "vision_config is not a JSON object");
            var text = root["text_config"] as JsonObject ?? throw new ArgumentException(root["text_config"] is null
                ? "no text_config (not a LlavaForConditionalGeneration config)" : "text_config is not a JSON object");
            if (String(vision, "model_type") is { } vt && vt != "clip_vision_model")
                throw new ArgumentException($"vision_config.model_type {JsonFiles.Quote(vt)} is not supported (only clip_vision_model)");
            var (layers, isList) = FeatureLayers(root);
            var config = new LlavaConfig
            {
                Vision = ReadVision(vision, path),
                Text = LlamaConfigJson.Read(text, $"{path}: text_config"),
                ImageTokenId = IntOrNull(root, "image_token_id") ?? Int(root, "image_token_index", 32000),
                VisionFeatureLayers = layers,
                FeatureLayerIsList = isList,
                SelectStrategy = String(root, "vision_feature_select_strategy") ?? LlavaConfig.DefaultStrategy,
                ProjectorHiddenAct = String(root, "projector_hidden_act") ?? "gelu",
                ProjectorBias = Bool(root, "multimodal_projector_bias", true),
                ImageSeqLength = IntOrNull(root, "image_seq_length"),
            };
            return config.Validate();
        }
        catch (ArgumentException e) { throw new InvalidDataException($"{path}: {JsonFiles.Reason(e)}"); }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{path}: a field has the wrong JSON type or is not valid text ({JsonFiles.Line(e.Message)})");
        }
    }

    static (IReadOnlyList<int> Layers, bool IsList) FeatureLayers(JsonObject root) => root["vision_feature_layer"] switch
    {
        null => ([-2], false),
        JsonArray => (IntList(root, "vision_feature_layer"), true),
        _ => ([Int(root, "vision_feature_layer", -2)], false),
    };

    /// <summary>vision_config as HF's CLIPVisionConfig reads it (its defaults fill absent fields), through the CLIP config reader.</summary>
    static ClipVisionConfig ReadVision(JsonObject vision, string path)
    {
        // Through JSON text: the CLIP reader reads numbers as parsed JSON holds them (a config built in memory does not).
        var clip = new JsonObject { ["text_config"] = new JsonObject(), ["vision_config"] = JsonNode.Parse(vision.ToJsonString()) };
        try { return ClipConfigJson.Read(clip, path).Vision; }
        catch (InvalidDataException e) { throw new ArgumentException(e.Message.StartsWith(path + ": ") ? $"vision_config: {e.Message[(path.Length + 2)..]}" : e.Message); }
    }

    /// <summary>The config as HF writes it: the older layout writes image_token_index, the newer image_token_id.</summary>
    public static JsonObject ToJson(LlavaConfig c, bool newerLayout = false)
    {
        var v = c.Vision;
        var vision = new JsonObject
        {
            ["model_type"] = "clip_vision_model", ["hidden_size"] = v.Tower.HiddenSize, ["intermediate_size"] = v.Tower.IntermediateSize,
            ["num_hidden_layers"] = v.Tower.NumLayers, ["num_attention_heads"] = v.Tower.NumHeads, ["layer_norm_eps"] = v.Tower.LayerNormEps,
            ["hidden_act"] = v.Tower.HiddenAct, ["image_size"] = v.ImageSize, ["patch_size"] = v.PatchSize, ["num_channels"] = v.NumChannels,
        };
        var root = new JsonObject
        {
            ["architectures"] = new JsonArray("LlavaForConditionalGeneration"),
            ["model_type"] = "llava",
            [newerLayout ? "image_token_id" : "image_token_index"] = c.ImageTokenId,
            ["vision_feature_layer"] = c.FeatureLayerIsList ? new JsonArray(c.VisionFeatureLayers.Select(l => (JsonNode?)l).ToArray()) : c.VisionFeatureLayers[0],
            ["vision_feature_select_strategy"] = c.SelectStrategy,
            ["projector_hidden_act"] = c.ProjectorHiddenAct,
            ["multimodal_projector_bias"] = c.ProjectorBias,
            ["vision_config"] = vision,
            ["text_config"] = LlamaConfigJson.ToJson(c.Text),
        };
        if (c.ImageSeqLength is int n) root["image_seq_length"] = n;
        return root;
    }

    public static void Write(LlavaConfig c, string path, bool newerLayout = false) =>
        File.WriteAllText(path, ToJson(c, newerLayout).ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
}
