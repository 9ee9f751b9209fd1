using System.Text.Json.Nodes;
using MMInterp.Kernels.Checkpoints;
using Xunit;

namespace MMInterp.Kernels.Tests.Clip;

/// <summary>config.json as published checkpoints write it (trimmed of the dozens of generation defaults they carry,
/// which are ignored), and the parameter counts their shapes give.</summary>
public class ClipConfigJsonTests
{
    static (Models.Clip.ClipConfig Config, long Parameters) Read(string json)
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("mminterp-cfg-").FullName, "config.json");
        File.WriteAllText(path, json);
        var config = ClipConfigJson.Read(path);
        return (config, ClipHfKeys.ParameterCount(ClipHfKeys.Expected(config)));
    }

    [Fact]
    public void OpenAiViTB32WithFullSubConfigs()
    {
        var (c, n) = Read("""
            {"_name_or_path": "openai/clip-vit-base-patch32", "architectures": ["CLIPModel"], "initializer_factor": 1.0,
             "logit_scale_init_value": 2.6592, "model_type": "clip", "projection_dim": 512,
             "text_config": {"_name_or_path": "", "add_cross_attention": false, "architectures": null, "attention_dropout": 0.0,
               "bos_token_id": 0, "dropout": 0.0, "eos_token_id": 2, "hidden_act": "quick_gelu", "hidden_size": 512,
               "id2label": {"0": "LABEL_0", "1": "LABEL_1"}, "initializer_range": 0.02, "intermediate_size": 2048,
               "layer_norm_eps": 1e-05, "max_position_embeddings": 77, "model_type": "clip_text_model", "num_attention_heads": 8,
               "num_hidden_layers": 12, "pad_token_id": 1, "projection_dim": 512, "torch_dtype": null, "vocab_size": 49408},
             "text_config_dict": null, "torch_dtype": "float32", "transformers_version": null,
             "vision_config": {"attention_dropout": 0.0, "dropout": 0.0, "hidden_act": "quick_gelu", "hidden_size": 768,
               "image_size": 224, "initializer_range": 0.02, "intermediate_size": 3072, "layer_norm_eps": 1e-05,
               "model_type": "clip_vision_model", "num_attention_heads": 12, "num_hidden_layers": 12, "patch_size": 32,
               "projection_dim": 512},
             "vision_config_dict": null}
            """);
        Assert.Equal((768, 12, 32, 224, 512), (c.Vision.Tower.HiddenSize, c.Vision.Tower.NumLayers, c.Vision.PatchSize, c.Vision.ImageSize, c.ProjectionDim));
        Assert.Equal(151_277_313, n); // the count HF reports for openai/clip-vit-base-patch32
    }

    [Fact]
    public void OpenAiViTL14WithLegacyDictsOverridingDefaultedSubConfigs()
    {
        var (c, n) = Read("""
            {"architectures": ["CLIPModel"], "model_type": "clip", "projection_dim": 768, "logit_scale_init_value": 2.6592,
             "text_config": {"hidden_size": 512, "intermediate_size": 2048, "num_attention_heads": 8, "num_hidden_layers": 12, "projection_dim": 768},
             "text_config_dict": {"hidden_size": 768, "intermediate_size": 3072, "num_attention_heads": 12, "num_hidden_layers": 12, "projection_dim": 768},
             "vision_config": {"hidden_size": 768, "patch_size": 32},
             "vision_config_dict": {"hidden_size": 1024, "intermediate_size": 4096, "num_attention_heads": 16, "num_hidden_layers": 24, "patch_size": 14, "projection_dim": 768}}
            """);
        Assert.Equal((1024, 24, 14, 768, 768), (c.Vision.Tower.HiddenSize, c.Vision.Tower.NumLayers, c.Vision.PatchSize, c.Text.Tower.HiddenSize, c.ProjectionDim));
        Assert.Equal(257, c.Vision.NumPositions);
        Assert.Equal(427_616_513, n);
    }

    [Fact]
    public void LaionViTH14WithGelu()
    {
        var (c, n) = Read("""
            {"architectures": ["CLIPModel"], "model_type": "clip", "projection_dim": 1024, "initializer_factor": 1.0,
             "text_config": {"hidden_act": "gelu", "hidden_size": 1024, "intermediate_size": 4096, "num_attention_heads": 16, "num_hidden_layers": 24},
             "vision_config": {"hidden_act": "gelu", "hidden_size": 1280, "intermediate_size": 5120, "num_attention_heads": 16,
               "num_hidden_layers": 32, "patch_size": 14, "image_size": 224}}
            """);
        Assert.Equal("gelu", c.Vision.Tower.HiddenAct);
        Assert.Equal("gelu", c.Text.Tower.HiddenAct);
        Assert.Equal(986.11, Math.Round(n / 1e6, 2)); // open_clip's count for ViT-H-14
    }

    [Fact]
    public void WrongTypesAndIntegersAreNamed()
    {
        var e = Assert.Throws<InvalidDataException>(() => Read("""{"text_config": {"hidden_size": "big"}, "vision_config": {}}"""));
        Assert.Contains("config.json", e.Message);
        e = Assert.Throws<InvalidDataException>(() => Read("""{"text_config": {"num_hidden_layers": 2.5}, "vision_config": {}}"""));
        Assert.Contains("num_hidden_layers must be an integer", e.Message);
        e = Assert.Throws<InvalidDataException>(() => Read("""{"text_config": [], "vision_config": {}}"""));
        Assert.Contains("text_config is not a JSON object", e.Message);
    }
}
