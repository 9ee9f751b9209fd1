using System.Text.Json.Nodes;
using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Models.Llava;
using Xunit;

namespace MMInterp.Kernels.Tests.Llava;

/// <summary>config.json as llava-hf publishes it (partial sub-configs: HF's defaults fill the rest), the newer fields,
/// and a round trip.</summary>
public class LlavaConfigJsonTests
{
    // llava-hf/llava-1.5-7b-hf's config.json (transformers 4.36), as published.
    const string Llava15 = """
    {
      "architectures": ["LlavaForConditionalGeneration"], "ignore_index": -100, "image_token_index": 32000,
      "model_type": "llava", "pad_token_id": 32001, "projector_hidden_act": "gelu",
      "text_config": {"_name_or_path": "lmsys/vicuna-7b-v1.5", "architectures": ["LlamaForCausalLM"],
        "max_position_embeddings": 4096, "model_type": "llama", "rms_norm_eps": 1e-05, "torch_dtype": "float16", "vocab_size": 32064},
      "tie_word_embeddings": false, "torch_dtype": "float16", "transformers_version": "4.36.0.dev0",
      "vision_config": {"hidden_size": 1024, "image_size": 336, "intermediate_size": 4096, "model_type": "clip_vision_model",
        "num_attention_heads": 16, "num_hidden_layers": 24, "patch_size": 14, "projection_dim": 768, "vocab_size": 32000},
      "vision_feature_layer": -2, "vision_feature_select_strategy": "default", "vocab_size": 32064
    }
    """;

    [Fact]
    public void Llava15SevenBReadsWithHfDefaults()
    {
        var c = LlavaConfigJson.Read(JsonNode.Parse(Llava15)!.AsObject(), "config.json");
        Assert.Equal(32000, c.ImageTokenId);
        Assert.Equal(576, c.FeaturesPerImage); // (336 / 14)^2, class token dropped
        Assert.Equal(23, c.HiddenStateIndex(c.VisionFeatureLayers[0])); // of 25 hidden states: block 22's output
        Assert.Equal("quick_gelu", c.Vision.Tower.HiddenAct);
        Assert.Equal(4096, c.Text.HiddenSize);
        Assert.Equal(32, c.Text.NumLayers);
        Assert.Equal(11008, c.Text.IntermediateSize);
        Assert.False(c.Text.TieWordEmbeddings);
        Assert.Equal(1024, c.ProjectorInput);
        Assert.InRange(c.ParameterCount, 7.0e9, 7.1e9);
    }

    [Fact]
    public void NewerFieldsAndAListOfLayersRoundTrip()
    {
        var root = JsonNode.Parse(Llava15)!.AsObject();
        root.Remove("image_token_index");
        root["image_token_id"] = 151646;
        root["vision_feature_layer"] = new JsonArray(-3, -1);
        root["vision_feature_select_strategy"] = "full";
        root["multimodal_projector_bias"] = false;
        root["text_config"] = new JsonObject { ["model_type"] = "qwen2", ["hidden_size"] = 896, ["num_attention_heads"] = 14, ["num_key_value_heads"] = 2,
                                               ["intermediate_size"] = 4864, ["num_hidden_layers"] = 24, ["vocab_size"] = 152000, ["tie_word_embeddings"] = true };
        var c = LlavaConfigJson.Read(root, "config.json");
        Assert.Equal(151646, c.ImageTokenId);
        Assert.Equal(new[] { -3, -1 }, c.VisionFeatureLayers);
        Assert.Equal(577, c.FeaturesPerImage);
        Assert.Equal(2048, c.ProjectorInput);
        Assert.True(c.Text.QkvBias);
        Assert.False(c.ProjectorBias);
        var again = LlavaConfigJson.Read(LlavaConfigJson.ToJson(c, newerLayout: true), "again");
        Assert.Equal(c.VisionFeatureLayers, again.VisionFeatureLayers);
        Assert.Equal(LlavaConfigJson.ToJson(c).ToJsonString(), LlavaConfigJson.ToJson(again).ToJsonString());
    }
}
