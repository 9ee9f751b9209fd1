using System.Text.Json.Nodes;
using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.IO;
using MMInterp.Kernels.Models.Llava;
using Xunit;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.Llava;

/// <summary>Malformed LLaVA directories fail with one line naming the file and the field or tensor.</summary>
public class LlavaCheckpointErrorTests
{
    static string LoadError(string dir, bool tokenizer = false)
    {
        try { return Assert.ThrowsAny<Exception>(() => LlavaCheckpoint.Load(dir, new LlavaLoadOptions { LoadTokenizer = tokenizer }).Model.Dispose()).Message; }
        finally { Directory.Delete(dir, true); }
    }

    static string WithConfig(Action<JsonObject> edit)
    {
        var dir = LlavaGolden.Copy("older_bf16");
        var path = Path.Combine(dir, "config.json");
        var root = JsonFiles.ReadObject(path);
        edit(root);
        File.WriteAllText(path, root.ToJsonString());
        return dir;
    }

    static string WithWeights(string name, Action<Dictionary<string, Tensor>> edit)
    {
        var dir = LlavaGolden.Copy(name);
        var path = Path.Combine(dir, "model.safetensors");
        using var scope = NewDisposeScope();
        var state = SafeTensors.Load(path).Tensors;
        edit(state);
        SafeTensors.Save(path, state);
        return dir;
    }

    static void OneLine(string message, params string[] parts)
    {
        Assert.DoesNotContain('\n', message);
        foreach (var p in parts) Assert.Contains(p, message);
    }

    [Fact]
    public void ConfigProblemsAreNamed()
    {
        OneLine(LoadError(WithConfig(r => r.Remove("text_config"))), "config.json", "no text_config");
        OneLine(LoadError(WithConfig(r => r.Remove("vision_config"))), "config.json", "no vision_config");
        OneLine(LoadError(WithConfig(r => r["model_type"] = "llava_next")), "model_type \"llava_next\" is not a LLaVA config");
        OneLine(LoadError(WithConfig(r => r["vision_feature_select_strategy"] = "pooled")), "vision_feature_select_strategy 'pooled'");
        OneLine(LoadError(WithConfig(r => r["vision_feature_layer"] = 7)), "vision_feature_layer 7 is outside", "3 layers");
        OneLine(LoadError(WithConfig(r => r["vision_feature_layer"] = new JsonArray())), "vision_feature_layer is an empty list");
        OneLine(LoadError(WithConfig(r => r["projector_hidden_act"] = "swish")), "projector_hidden_act 'swish'");
        OneLine(LoadError(WithConfig(r => r["text_config"]!["hidden_act"] = "gelu")), "text_config", "hidden_act \"gelu\"");
        OneLine(LoadError(WithConfig(r => r["vision_config"]!["patch_size"] = 5)), "vision_config", "patch_size");
        OneLine(LoadError(WithConfig(r => r["vision_config"]!["model_type"] = "siglip_vision_model")), "siglip_vision_model");
    }

    [Fact]
    public void MissingMisShapedAndNaNTensorsAreNamedInTheFilesLayout()
    {
        OneLine(LoadError(WithWeights("older_bf16", s => s.Remove("multi_modal_projector.linear_2.bias"))),
            "missing 1 key(s): multi_modal_projector.linear_2.bias");
        OneLine(LoadError(WithWeights("newer_list", s => s.Remove("model.language_model.norm.weight"))),
            "missing 1 key(s): model.language_model.norm.weight");
        OneLine(LoadError(WithWeights("older_bf16", s => s["multi_modal_projector.linear_1.weight"] = zeros(64, 31))),
            "key 'multi_modal_projector.linear_1.weight' has shape [64,31] but the model expects [64,32]");
        OneLine(LoadError(WithWeights("newer_list", s => s["model.vision_tower.vision_model.post_layernorm.bias"][2] = float.NaN)),
            "model.vision_tower.vision_model.post_layernorm.bias", "NaN");
        OneLine(LoadError(WithWeights("older_bf16", s => s["language_model.model.extra.weight"] = zeros(2))), "unexpected key(s)", "language_model.model.extra.weight");
    }

    [Fact]
    public void AMissingTokeniserIsNamed()
    {
        OneLine(LoadError(LlavaGolden.Copy("older_bf16"), tokenizer: true), "no tokeniser");
    }

    [Fact]
    public void ImageTokensThatFitNeitherCountAreRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => LlavaImageTokens.Expand([1, 90, 5, 90, 7], 90, images: 1, featuresPerImage: 16));
        OneLine(e.Message, "2 image token(s)", "1 image(s)", "16 per image");
        Assert.Equal(new long[] { 1, 9, 9, 9, 5 }, LlavaImageTokens.Expand([1, 9, 5], 9, 1, 3));
        Assert.Equal(new long[] { 9, 9, 5 }, LlavaImageTokens.Expand([9, 9, 5], 9, 1, 2));
    }
}
