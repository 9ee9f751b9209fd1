using System.Text.Json;
using System.Text.Json.Nodes;
using MMInterp.Kernels.IO;
using MMInterp.Kernels.Models.Clip;
using static MMInterp.Kernels.Checkpoints.ConfigFields;

namespace MMInterp.Kernels.Checkpoints;

/// <summary>Reads and writes the config.json of a lone HF text tower (a diffusers pipeline's text_encoder/ and
/// text_encoder_2/): CLIPTextConfig's fields at the top level, model_type clip_text_model, architectures
/// CLIPTextModel or CLIPTextModelWithProjection. Defaults are HF's CLIPTextConfig defaults.</summary>
public static class ClipTextConfigJson
{
    public const string TextModel = "CLIPTextModel", WithProjection = "CLIPTextModelWithProjection";

    /// <param name="className">the class the pipeline's model_index.json names (decides whether there is a projection)</param>
    public static ClipTextModelConfig Read(string path, string className)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"text encoder config not found: {path}", path);
        var root = JsonFiles.ReadObject(path);
        try
        {
            if (className is not (TextModel or WithProjection))
                throw new ArgumentException($"class {JsonFiles.Quote(className)} is not a supported text encoder (expected {TextModel} or {WithProjection})");
            if (String(root, "model_type") is { } type && type != "clip_text_model")
                throw new ArgumentException($"model_type {JsonFiles.Quote(type)} is not a CLIP text tower (expected clip_text_model)");
            if (root["architectures"] is JsonArray a && a.Count > 0 && !a.Any(n => n is JsonValue v && v.TryGetValue<string>(out var s) && s == className))
                throw new ArgumentException($"architectures {JsonFiles.Quote(a)} do not include {className}, which model_index.json names");
            var config = new ClipTextModelConfig(new ClipTextConfig
            {
                Tower = ClipConfigJson.Tower(root, 512, 2048, 12, 8),
                VocabSize = Int(root, "vocab_size", 49408),
                MaxPositions = Int(root, "max_position_embeddings", 77),
                EosTokenId = Int(root, "eos_token_id", 2),
                BosTokenId = Int(root, "bos_token_id", 1),
                PadTokenId = Int(root, "pad_token_id", 1),
            }, className == WithProjection ? Int(root, "projection_dim", 512) : null);
            return config.Validate();
        }
        catch (ArgumentException e) { throw new InvalidDataException($"{path}: {JsonFiles.Reason(e)}"); }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{path}: a field has the wrong JSON type ({JsonFiles.Line(e.Message)})");
        }
    }

    public static void Write(ClipTextModelConfig c, string path)
    {
        var t = c.Text.Tower;
        var root = new JsonObject
        {
            ["architectures"] = new JsonArray(c.ProjectionDim is null ? TextModel : WithProjection), ["model_type"] = "clip_text_model",
            ["hidden_size"] = t.HiddenSize, ["intermediate_size"] = t.IntermediateSize, ["num_hidden_layers"] = t.NumLayers,
            ["num_attention_heads"] = t.NumHeads, ["layer_norm_eps"] = t.LayerNormEps, ["hidden_act"] = t.HiddenAct,
            ["vocab_size"] = c.Text.VocabSize, ["max_position_embeddings"] = c.Text.MaxPositions,
            ["eos_token_id"] = c.Text.EosTokenId, ["bos_token_id"] = c.Text.BosTokenId, ["pad_token_id"] = c.Text.PadTokenId,
        };
        if (c.ProjectionDim is int p) root["projection_dim"] = p;
        File.WriteAllText(path, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }
}
