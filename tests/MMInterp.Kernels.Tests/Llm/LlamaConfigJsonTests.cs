using System.Text.Json.Nodes;
using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Models.Llm;
using Xunit;

namespace MMInterp.Kernels.Tests.Llm;

public class LlamaConfigJsonTests
{
    [Fact]
    public void ReadsTheGoldenConfigs()
    {
        var llama = LlamaConfigJson.Read(Path.Combine(MetaGolden.Dir("llama2_gqa"), "config.json"));
        Assert.Equal((64, 4, 2, 16, 3, 96), (llama.HiddenSize, llama.NumHeads, llama.NumKvHeads, llama.HeadDim, llama.NumLayers, llama.IntermediateSize));
        Assert.False(llama.TieWordEmbeddings || llama.QkvBias);
        Assert.Null(llama.RopeScaling);
        var scaled = LlamaConfigJson.Read(Path.Combine(MetaGolden.Dir("llama3_scaled_tied"), "config.json"));
        Assert.Equal(new RopeScaling { Type = "llama3", Factor = 8, LowFreqFactor = 1, HighFreqFactor = 4, OriginalMaxPositions = 8192 }, scaled.RopeScaling);
        Assert.True(scaled.TieWordEmbeddings);
        Assert.Equal(500000, scaled.RopeTheta);
        var qwen = LlamaConfigJson.Read(Path.Combine(MetaGolden.Dir("qwen2_bias"), "config.json"));
        Assert.True(qwen.QkvBias);
        Assert.False(qwen.OutputBias || qwen.MlpBias);
        Assert.Equal(1e-6, qwen.RmsNormEps);
    }

    [Fact]
    public void Llava15TextConfigTakesHfDefaultsForWhatItOmits()
    {
        // llava-hf/llava-1.5-7b-hf's text_config, as published: everything else is LlamaConfig's default (Llama 2 7B).
        var text = (JsonObject)JsonNode.Parse("""
            {"_name_or_path": "lmsys/vicuna-7b-v1.5", "architectures": ["LlamaForCausalLM"], "max_position_embeddings": 4096,
             "model_type": "llama", "rms_norm_eps": 1e-05, "torch_dtype": "float16", "vocab_size": 32064}
            """)!;
        var c = LlamaConfigJson.Read(text, "config.json");
        Assert.Equal((4096, 11008, 32, 32, 32, 128, 32064), (c.HiddenSize, c.IntermediateSize, c.NumLayers, c.NumHeads, c.NumKvHeads, c.HeadDim, c.VocabSize));
        Assert.Equal((10000.0, 1e-5, false), (c.RopeTheta, c.RmsNormEps, c.TieWordEmbeddings));
        Assert.InRange(c.ParameterCount, 6.7e9, 6.8e9);
    }

    [Fact]
    public void WriteThenReadGivesTheSameConfig()
    {
        foreach (var c in new[] { TinyLlama.Config(), TinyLlama.Config(qwen: true, tied: true), TinyLlama.Config(scaling: new RopeScaling { Type = "dynamic", Factor = 2 }) with { EosTokenIds = [2, 7] } })
        {
            var read = LlamaConfigJson.Read(LlamaConfigJson.ToJson(c), "config.json");
            Assert.Equal(c with { EosTokenIds = [] }, read with { EosTokenIds = [] });
            Assert.Equal(c.EosTokenIds, read.EosTokenIds);
        }
    }

    [Fact]
    public void LegacyTypeKeyAndDefaultScalingAreRead()
    {
        var root = LlamaConfigJson.ToJson(TinyLlama.Config());
        root["rope_scaling"] = new JsonObject { ["type"] = "linear", ["factor"] = 4.0 };
        Assert.Equal(new RopeScaling { Type = "linear", Factor = 4 }, LlamaConfigJson.Read(root, "c.json").RopeScaling);
        root["rope_scaling"] = new JsonObject { ["rope_type"] = "default" };
        Assert.Null(LlamaConfigJson.Read(root, "c.json").RopeScaling);
    }

    [Theory]
    [InlineData("model_type", "\"gpt2\"", "c.json: model_type \"gpt2\" is not a Llama-family decoder (expected llama or qwen2)")]
    [InlineData("model_type", "\"llava\"", "c.json: model_type 'llava' is a multimodal config; its text_config holds the decoder")]
    [InlineData("num_key_value_heads", "3", "c.json: num_key_value_heads must divide num_attention_heads (4), got 3")]
    [InlineData("hidden_act", "\"gelu\"", "c.json: hidden_act \"gelu\" is not supported (Llama and Qwen2 use silu)")]
    [InlineData("use_sliding_window", "true", "c.json: use_sliding_window is true; sliding-window attention is not supported")]
    [InlineData("rope_scaling", "{\"rope_type\":\"yarn\",\"factor\":4}", "c.json: rope_scaling type 'yarn' is not supported (supported: linear, dynamic, llama3)")]
    [InlineData("rope_scaling", "{\"rope_type\":\"llama3\",\"factor\":8}", "c.json: rope_scaling (llama3) has no low_freq_factor")]
    [InlineData("rms_norm_eps", "\"1e-6\"", "c.json: rms_norm_eps must be a number, got \"1e-6\"")]
    [InlineData("hidden_size", "64.5", "c.json: hidden_size must be an integer, got 64.5")]
    [InlineData("eos_token_id", "[2, 99]", "c.json: eos_token_id must be vocabulary ids (0..49), got 99")]
    public void BadFieldsAreOneLineErrorsNamingThem(string key, string json, string message)
    {
        var root = LlamaConfigJson.ToJson(TinyLlama.Config());
        root[key] = JsonNode.Parse(json);
        var e = Assert.Throws<InvalidDataException>(() => LlamaConfigJson.Read(root, "c.json"));
        Assert.Equal(message, e.Message);
    }
}
