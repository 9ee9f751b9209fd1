using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.IO;
using MMInterp.Kernels.Models.StableDiffusion;
using Xunit;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.StableDiffusion;

/// <summary>
/// The U-Net against the original Stable Diffusion code (CompVis ldm for an SD 1.x-like model; Stability-AI's sgm for
/// an SD 2.x-like one with linear projections and head channels, and an SDXL-like one with the text_time added
/// embedding and two transformer layers per block), on small random checkpoints in diffusers' layout written by
/// tests/reference/sd_unet_reference.py, loaded through UNetCheckpoint from the plain file, the fp16 variant and shards.
/// </summary>
public class UNetReferenceTests
{
    public static TheoryData<string> Cases => new(SdUnetGolden.Cases);

    // The reference ran in float32 on the same fp16-rounded weights; only summation order differs. Outputs are ~0.5 in
    // size; the measured max |diff| is 2.0e-6 with fused attention (2.3e-6 with every pattern materialised, 2026-12-04),
    // so this leaves a margin of ten.
    const double Tolerance = 2e-5;

    static Tensor Run(UNet2DConditionModel unet, Dictionary<string, Tensor> g)
    {
        using var _ = no_grad();
        return unet.Forward(g["sample"], g["timestep"], g["encoder_hidden_states"],
            g.GetValueOrDefault("text_embeds"), g.GetValueOrDefault("time_ids"));
    }

    static void AssertClose(Tensor expected, Tensor actual, string name)
    {
        Assert.Equal(expected.shape, actual.shape);
        var diff = (expected - actual).abs().max().item<float>();
        Assert.True(diff < Tolerance, $"{name}: max |diff| {diff} exceeds {Tolerance}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void OutputMatchesTheReference(string name)
    {
        using var scope = NewDisposeScope();
        var g = SdUnetGolden.Load(name);
        using var unet = UNetCheckpoint.Load(SdUnetGolden.Dir(name)).Model;
        Assert.All(unet.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
        AssertClose(g["out"], Run(unet, g), name);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Fp16VariantAndShardedFilesLoadToTheSameOutput(string name)
    {
        using var scope = NewDisposeScope();
        var g = SdUnetGolden.Load(name);
        var variant = SdUnetGolden.Copy(name, (dir, s) =>
            SafeTensors.Save(Path.Combine(dir, UNetCheckpoint.SingleFile("fp16")), s));
        var sharded = SdUnetGolden.Copy(name, (dir, s) =>
            HfShardedWriter.Write(dir, s.ToDictionary(kv => kv.Key, kv => kv.Value.to_type(ScalarType.Float32)), 3,
                UNetCheckpoint.Stem, UNetCheckpoint.IndexFile(null)));
        try
        {
            using (var unet = UNetCheckpoint.Load(variant).Model) AssertClose(g["out"], Run(unet, g), $"{name} (fp16 variant found)");
            using (var unet = UNetCheckpoint.Load(variant, "fp16").Model) AssertClose(g["out"], Run(unet, g), $"{name} (fp16 variant asked)");
            Assert.True(File.Exists(Path.Combine(sharded, "diffusion_pytorch_model-00003-of-00003.safetensors")));
            using (var unet = UNetCheckpoint.Load(sharded).Model) AssertClose(g["out"], Run(unet, g), $"{name} (3 shards)");
        }
        finally
        {
            Directory.Delete(variant, true);
            Directory.Delete(sharded, true);
        }
    }

    [Fact]
    public void SaveThenLoadGivesTheSameOutputForTwoLayersPerBlockThreeLevelsAndAFreqShift()
    {
        // layers_per_block 2 and three levels are not in the goldens: this checks the skip bookkeeping agrees with
        // itself through the diffusers layout (names, variant index, shards).
        using var scope = NewDisposeScope();
        manual_seed(5);
        var config = new UNetConfig
        {
            BlockOutChannels = [8, 16, 16], LayersPerBlock = 2, NormNumGroups = 4, HeadCounts = [2, 2, 4],
            DownBlockTypes = [UNetConfig.CrossAttnDown, UNetConfig.CrossAttnDown, UNetConfig.Down],
            UpBlockTypes = [UNetConfig.Up, UNetConfig.CrossAttnUp, UNetConfig.CrossAttnUp],
            TransformerLayersPerBlock = [1, 2, 1], CrossAttentionDim = 12, UseLinearProjection = true, FreqShift = 1,
        };
        using var unet = new UNet2DConditionModel(config);
        unet.eval();
        var dir = Directory.CreateTempSubdirectory("mminterp-unet-").FullName;
        try
        {
            // A fresh model's GroupNorms start at weight 1, bias 0 (TorchSharp's own leave them uninitialised).
            Assert.All(unet.named_parameters().Where(p => p.name.EndsWith("norm1.weight", StringComparison.Ordinal)),
                p => Assert.Equal(1f, p.parameter.min().item<float>()));
            UNetCheckpoint.Save(unet, dir, variant: "fp16", shards: 2, dtype: ScalarType.Float32);
            Assert.True(File.Exists(Path.Combine(dir, "diffusion_pytorch_model.safetensors.index.fp16.json")));
            Assert.True(File.Exists(Path.Combine(dir, "diffusion_pytorch_model.fp16-00002-of-00002.safetensors")));
            using var loaded = UNetCheckpoint.Load(dir, "fp16").Model;
            Assert.Equal(config.HeadCounts, loaded.Config.HeadCounts);
            Assert.Equal(config.TransformerLayersPerBlock, loaded.Config.TransformerLayersPerBlock);
            var x = randn(1, 4, 8, 8);
            var text = randn(1, 3, 12);
            using var _ = no_grad();
            var a = unet.Forward(x, tensor(500f), text);
            Assert.True(a.isfinite().all().item<bool>());
            Assert.True((a - loaded.Forward(x, tensor(500f), text)).abs().max().item<float>() < 1e-5); // thread count may change between the two runs
            Assert.Contains("up_blocks.1.attentions.2.transformer_blocks.0.attn2.to_k.weight", loaded.named_parameters().Select(p => p.name));
        }
        finally { Directory.Delete(dir, true); }
    }
}
