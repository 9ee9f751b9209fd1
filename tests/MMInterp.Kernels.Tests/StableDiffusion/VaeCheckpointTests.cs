using System.Text.Json.Nodes;
using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Models.StableDiffusion;
using Xunit;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.StableDiffusion;

/// <summary>Broken vae/ directories, configs and inputs: each refused in one line naming the problem.</summary>
public class VaeCheckpointTests
{
    static void AssertOneLine(Exception e, params string[] parts)
    {
        Assert.DoesNotContain('\n', e.Message);
        foreach (var p in parts) Assert.Contains(p, e.Message);
    }

    static string LoadFails(Func<Dictionary<string, Tensor>, Dictionary<string, Tensor>> edit)
    {
        var dir = VaeGolden.Edited(edit);
        try { return Assert.Throws<InvalidDataException>(() => AutoencoderKlCheckpoint.Load(dir)).Message; }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void MissingUnexpectedMisShapedAndDuplicatedKeysAreNamed()
    {
        var missing = LoadFails(s => s.Where(kv => kv.Key != "decoder.up_blocks.1.resnets.0.conv_shortcut.bias").ToDictionary());
        Assert.Contains("missing 1 key(s): decoder.up_blocks.1.resnets.0.conv_shortcut.bias", missing);
        var stray = LoadFails(s => new Dictionary<string, Tensor>(s) { ["encoder.extra.weight"] = zeros(2) });
        Assert.Contains("unexpected key(s) not in the model: encoder.extra.weight", stray);
        var shape = LoadFails(s => new Dictionary<string, Tensor>(s) { ["quant_conv.weight"] = zeros(8, 8, 3, 3) });
        Assert.Contains("'quant_conv.weight' has shape [8,8,3,3] but the model expects [8,8,1,1]", shape);
        // The same layer under its old and its new name: one of them would be silently dropped.
        var both = LoadFails(s => new Dictionary<string, Tensor>(s) { ["encoder.mid_block.attentions.0.query.weight"] = s["encoder.mid_block.attentions.0.to_q.weight"] });
        Assert.Contains("key 'encoder.mid_block.attentions.0.to_q.weight' is stored twice", both);
        foreach (var m in new[] { missing, stray, shape, both }) Assert.DoesNotContain('\n', m);
    }

    [Fact]
    public void NonFiniteWeightsAndMissingFilesAreNamed()
    {
        var nan = LoadFails(s => new Dictionary<string, Tensor>(s) { ["post_quant_conv.bias"] = full(4, double.NaN, ScalarType.Float16) });
        Assert.Contains("post_quant_conv.bias", nan);
        Assert.DoesNotContain('\n', nan);
        var dir = Directory.CreateTempSubdirectory("mminterp-vae-").FullName;
        try
        {
            File.Copy(Path.Combine(VaeGolden.Dir, "config.json"), Path.Combine(dir, "config.json"));
            var none = Assert.Throws<FileNotFoundException>(() => AutoencoderKlCheckpoint.Load(dir));
            AssertOneLine(none, "no diffusion_pytorch_model.safetensors");
            File.WriteAllText(Path.Combine(dir, "diffusion_pytorch_model.bin"), "pickle");
            AssertOneLine(Assert.Throws<FileNotFoundException>(() => AutoencoderKlCheckpoint.Load(dir)), "diffusion_pytorch_model.bin", "only safetensors");
            File.Delete(Path.Combine(dir, "config.json"));
            AssertOneLine(Assert.Throws<FileNotFoundException>(() => AutoencoderKlCheckpoint.Load(dir)), "config.json");
            AssertOneLine(Assert.Throws<ArgumentException>(() => AutoencoderKlCheckpoint.Load(VaeGolden.Dir, "bf16")), "variant 'bf16'");
        }
        finally { Directory.Delete(dir, true); }
    }

    public static TheoryData<string, string, string> BadConfigs => new()
    {
        { "block_out_channels", "[32, 48]", "block_out_channels 48 is not a multiple of norm_num_groups 32" },
        { "block_out_channels", "[]", "block_out_channels must list" },
        { "layers_per_block", "0", "layers_per_block must be in" },
        { "layers_per_block", "1.5", "layers_per_block must be an integer" },
        { "latent_channels", "\"4\"", "latent_channels must be a number" },
        { "norm_num_groups", "-1", "norm_num_groups must be in" },
        { "in_channels", "0", "in_channels must be in" },
        { "scaling_factor", "0", "scaling_factor must be a positive" },
        { "down_block_types", "[\"DownEncoderBlock2D\"]", "down_block_types has 1 entries but block_out_channels 2" },
        { "up_block_types", "[\"AttnUpDecoderBlock2D\", \"UpDecoderBlock2D\"]", "up_block_types entry 'AttnUpDecoderBlock2D' is not supported" },
        { "down_block_types", "\"DownEncoderBlock2D\"", "down_block_types must be a list of strings" },
        { "_class_name", "\"AutoencoderTiny\"", "_class_name \"AutoencoderTiny\" is not AutoencoderKL" },
        { "act_fn", "\"gelu\"", "act_fn \"gelu\" is not supported" },
        { "latents_mean", "[0.1, 0.2]", "latents_mean is set" },
    };

    [Theory]
    [MemberData(nameof(BadConfigs))]
    public void BadConfigFieldsAreNamed(string field, string json, string expected)
    {
        var root = JsonNode.Parse(File.ReadAllText(Path.Combine(VaeGolden.Dir, "config.json")))!.AsObject();
        root[field] = JsonNode.Parse(json);
        var e = Assert.Throws<InvalidDataException>(() => AutoencoderKlConfigJson.Read(root, "vae/config.json"));
        AssertOneLine(e, "vae/config.json: ", expected);
    }

    [Fact]
    public void ConfigRoundTripsAndTakesDiffusersDefaults()
    {
        var golden = AutoencoderKlConfigJson.Read(Path.Combine(VaeGolden.Dir, "config.json"));
        Assert.Equal([32, 64], golden.BlockOutChannels);
        Assert.Equal((1, 4, 32, 0.18215, 2), (golden.LayersPerBlock, golden.LatentChannels, golden.NormNumGroups, golden.ScalingFactor, golden.DownFactor));
        var again = AutoencoderKlConfigJson.Read(AutoencoderKlConfigJson.ToJson(golden), "c.json");
        Assert.Equal(golden.BlockOutChannels, again.BlockOutChannels);
        Assert.Equal(golden with { BlockOutChannels = [], DownBlockTypes = [], UpBlockTypes = [] }, again with { BlockOutChannels = [], DownBlockTypes = [], UpBlockTypes = [] });
        var minimal = AutoencoderKlConfigJson.Read(new JsonObject { ["_class_name"] = "AutoencoderKL" }, "c.json");
        Assert.Equal([64], minimal.BlockOutChannels);
        Assert.Equal((1, 4, 3, 3), (minimal.LayersPerBlock, minimal.LatentChannels, minimal.InChannels, minimal.OutChannels));
    }

    [Fact]
    public void ParameterCountIsTheModelsAndHugeConfigsAreRefusedBeforeAllocating()
    {
        foreach (var c in new[]
        {
            AutoencoderKlConfigJson.Read(Path.Combine(VaeGolden.Dir, "config.json")),
            new AutoencoderKlConfig { BlockOutChannels = [32, 64, 96], DownBlockTypes = ["DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D"],
                UpBlockTypes = ["UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D"], LayersPerBlock = 2, LatentChannels = 3,
                InChannels = 1, OutChannels = 2, MidBlockAddAttention = false, UseQuantConv = false },
        })
        {
            using var vae = new AutoencoderKl(c);
            Assert.Equal(vae.parameters().Sum(p => p.numel()), c.ParameterCount);
        }
        var dir = Directory.CreateTempSubdirectory("mminterp-vae-").FullName;
        try
        {
            var root = JsonNode.Parse(File.ReadAllText(Path.Combine(VaeGolden.Dir, "config.json")))!.AsObject();
            root["block_out_channels"] = JsonNode.Parse("[16384, 16384]");
            File.WriteAllText(Path.Combine(dir, "config.json"), root.ToJsonString());
            var e = Assert.Throws<InvalidDataException>(() => AutoencoderKlCheckpoint.Load(dir));
            AssertOneLine(e, "config.json: config", "weights");
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void WrongInputsAreRefusedInOneLine()
    {
        using var scope = NewDisposeScope();
        using var vae = AutoencoderKlCheckpoint.Load(VaeGolden.Dir).Model;
        using var _ = no_grad();
        AssertOneLine(Assert.Throws<ArgumentException>(() => vae.Encode(zeros(1, 4, 16, 16))), "image must be [batch, 3, height, width]");
        AssertOneLine(Assert.Throws<ArgumentException>(() => vae.Encode(zeros(1, 3, 15, 16))), "multiples of 2");
        AssertOneLine(Assert.Throws<ArgumentException>(() => vae.Decode(zeros(1, 3, 8, 8))), "latent must be [batch, 4, height, width]");
        AssertOneLine(Assert.Throws<ArgumentException>(() => vae.Decode(zeros(1, 4, 8, 8, ScalarType.Float64))), "latent must be float32");
    }
}
