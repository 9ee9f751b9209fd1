using System.Text.Json.Nodes;
using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.IO;
using MMInterp.Kernels.Models.StableDiffusion;
using Xunit;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.StableDiffusion;

/// <summary>Malformed U-Net directories and configs fail with one line naming the problem.</summary>
public class UNetCheckpointErrorTests
{
    const string Case = "sd_unet_sd1";

    static string Error(string dir)
    {
        try
        {
            var message = Assert.ThrowsAny<Exception>(() => UNetCheckpoint.Load(dir).Model.Dispose()).Message;
            Assert.DoesNotContain('\n', message);
            return message;
        }
        finally { Directory.Delete(dir, true); }
    }

    static string WithWeights(Action<Dictionary<string, Tensor>> edit) => SdUnetGolden.Copy(Case, (dir, s) =>
    {
        edit(s);
        SafeTensors.Save(Path.Combine(dir, UNetCheckpoint.SingleFile(null)), s);
    });

    static string WithConfig(Action<JsonObject> edit)
    {
        var o = JsonNode.Parse(File.ReadAllText(Path.Combine(SdUnetGolden.Dir(Case), "config.json")))!.AsObject();
        edit(o);
        return SdUnetGolden.Copy(Case, (dir, s) => SafeTensors.Save(Path.Combine(dir, UNetCheckpoint.SingleFile(null)), s), o.ToJsonString());
    }

    [Fact]
    public void AMissingKeyIsNamed() =>
        Assert.Contains("missing 1 key(s): mid_block.attentions.0.transformer_blocks.0.attn2.to_k.weight",
            Error(WithWeights(s => s.Remove("mid_block.attentions.0.transformer_blocks.0.attn2.to_k.weight"))));

    [Fact]
    public void AnExtraKeyIsNamed() =>
        Assert.Contains("unexpected key(s) not in the model: down_blocks.1.attentions.0.norm.weight",
            Error(WithWeights(s => s["down_blocks.1.attentions.0.norm.weight"] = ones(32))));

    [Fact]
    public void AWrongShapeIsNamed() =>
        Assert.Contains("key 'conv_in.weight' has shape [32,4,1,1] but the model expects [32,4,3,3]",
            Error(WithWeights(s => s["conv_in.weight"] = zeros(32, 4, 1, 1))));

    [Fact]
    public void NoWeightsAreNamed() =>
        Assert.Contains("no diffusion_pytorch_model.safetensors, diffusion_pytorch_model.fp16.safetensors or sharded index",
            Error(SdUnetGolden.Copy(Case, (_, _) => { })));

    [Theory]
    [InlineData("resnet_time_scale_shift", "\"scale_shift\"", "resnet_time_scale_shift \"scale_shift\" is not supported")]
    [InlineData("attention_head_dim", "[4, 4, 4]", "attention_head_dim has 3 entries but block_out_channels has 2")]
    [InlineData("attention_head_dim", "5", "attention_head_dim[0] (the head count) must divide block_out_channels[0] (32), got 5")]
    [InlineData("attention_head_dim", "\"eight\"", "attention_head_dim must be a number")]
    [InlineData("block_out_channels", "[32, 48]", "block_out_channels entries must be positive multiples of norm_num_groups (32)")]
    [InlineData("down_block_types", "[\"CrossAttnDownBlock2D\", \"SimpleDownBlock2D\"]", "down_block_types[1] 'SimpleDownBlock2D' is not supported")]
    [InlineData("up_block_types", "[\"UpBlock2D\"]", "up_block_types (1) must each have one entry")]
    [InlineData("addition_embed_type", "\"image\"", "addition_embed_type 'image' is not supported")]
    [InlineData("class_embed_type", "\"timestep\"", "class_embed_type \"timestep\" is not supported")]
    [InlineData("norm_eps", "0", "norm_eps must be in (0, 1), got 0")]
    [InlineData("layers_per_block", "[1, 1]", "layers_per_block as a list is not supported")]
    [InlineData("_class_name", "\"UNet2DModel\"", "_class_name \"UNet2DModel\" is not UNet2DConditionModel")]
    public void ABadConfigFieldIsNamed(string field, string json, string expected)
    {
        var message = Error(WithConfig(o => o[field] = JsonNode.Parse(json)));
        Assert.Contains("config.json: ", message);
        Assert.Contains(expected, message);
    }

    [Fact]
    public void TheConfigRecordNamesItsBadFieldToo()
    {
        var e = Assert.Throws<ArgumentException>(() => new UNetConfig { TransformerLayersPerBlock = [1, 0] }.Validate());
        Assert.StartsWith("transformer_layers_per_block[1] must be in 1..", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void TheHeadCountQuirkIsResolved()
    {
        // SD 1.x configs give attention_head_dim 8: diffusers reads it as 8 heads (num_attention_heads unset).
        var root = new JsonObject { ["block_out_channels"] = new JsonArray(320, 640), ["attention_head_dim"] = 8,
            ["down_block_types"] = new JsonArray("CrossAttnDownBlock2D", "DownBlock2D"), ["up_block_types"] = new JsonArray("UpBlock2D", "CrossAttnUpBlock2D") };
        Assert.Equal([8, 8], UNetConfigJson.Read(root, "x").HeadCounts);
        root["num_attention_heads"] = new JsonArray(5, 10);
        Assert.Equal([5, 10], UNetConfigJson.Read(root, "x").HeadCounts);
    }

    [Fact]
    public void ForwardRefusesMissingSdxlConditions()
    {
        using var scope = NewDisposeScope();
        using var unet = UNetCheckpoint.Load(SdUnetGolden.Dir("sd_unet_sdxl")).Model;
        var g = SdUnetGolden.Load("sd_unet_sdxl");
        var e = Assert.Throws<ArgumentException>(() => unet.Forward(g["sample"], g["timestep"], g["encoder_hidden_states"]));
        Assert.Contains("text_time needs text_embeds and time_ids", e.Message);
        e = Assert.Throws<ArgumentException>(() => unet.Forward(g["sample"], g["timestep"], g["encoder_hidden_states"], g["text_embeds"], g["time_ids"][.., ..4]));
        Assert.Contains("but projection_class_embeddings_input_dim is 64", e.Message);
    }
}
