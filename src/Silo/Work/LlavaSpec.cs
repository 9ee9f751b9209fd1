using System.Text.Json.Nodes;
using MMInterp.Kernels.Checkpoints;

namespace MMInterp.Silo.Work;

/// <summary>The lineage recorded with a registered HF LLaVA: where it came from, architecture llava, and its config.</summary>
public static class LlavaSpec
{
    public static JsonObject Of(LlavaDirectorySummary s, string directory)
    {
        var (c, v, t) = (s.Config, s.Config.Vision, s.Config.Text);
        return new JsonObject
        {
            ["source"] = "huggingface-directory",
            ["source_dir"] = directory,
            ["family"] = "vlm",
            ["architecture"] = "llava",
            ["summary"] = s.Architecture,
            ["parameter_count"] = s.ParameterCount,
            ["weight_bytes"] = s.Weights.DataBytes,
            ["dtypes"] = new JsonObject(s.TensorsByDType.OrderBy(kv => kv.Key).Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
            ["shard_count"] = s.Weights.Shards.Count,
            ["key_layout"] = s.Layout == LlavaKeyLayout.Older ? "older" : "newer",
            ["files"] = new JsonArray(s.Files.Select(f => (JsonNode?)f).ToArray()),
            ["tokenizer"] = s.Tokenizer,
            ["chat_template"] = s.ChatTemplate,
            ["preprocessor_config"] = s.HasPreprocessorConfig,
            ["config"] = new JsonObject
            {
                ["image_token_id"] = c.ImageTokenId,
                ["vision_feature_layer"] = new JsonArray(c.VisionFeatureLayers.Select(l => (JsonNode?)l).ToArray()),
                ["vision_feature_select_strategy"] = c.SelectStrategy,
                ["image_tokens"] = c.FeaturesPerImage,
                ["projector_hidden_act"] = c.ProjectorHiddenAct,
                ["vision"] = new JsonObject
                {
                    ["hidden_size"] = v.Tower.HiddenSize, ["layers"] = v.Tower.NumLayers, ["heads"] = v.Tower.NumHeads,
                    ["intermediate_size"] = v.Tower.IntermediateSize, ["hidden_act"] = v.Tower.HiddenAct,
                    ["image_size"] = v.ImageSize, ["patch_size"] = v.PatchSize,
                },
                ["text"] = new JsonObject
                {
                    ["model_type"] = t.ModelType, ["hidden_size"] = t.HiddenSize, ["layers"] = t.NumLayers, ["heads"] = t.NumHeads,
                    ["kv_heads"] = t.NumKvHeads, ["intermediate_size"] = t.IntermediateSize, ["vocab_size"] = t.VocabSize,
                    ["max_positions"] = t.MaxPositions, ["rope_theta"] = t.RopeTheta, ["rope_scaling"] = t.RopeScaling?.Type,
                    ["tie_word_embeddings"] = t.TieWordEmbeddings,
                },
            },
        };
    }
}
