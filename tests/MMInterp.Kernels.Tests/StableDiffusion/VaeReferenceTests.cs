using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Models.StableDiffusion;
using Xunit;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.StableDiffusion;

/// <summary>
/// The autoencoder against CompVis's Encoder/Decoder (+ quant_conv, post_quant_conv, DiagonalGaussianDistribution) on
/// the small random model tests/reference/sd_vae_reference.py wrote in diffusers' layout: the latent distribution and
/// the decoded image within float tolerance, through the real loader, under the current and the pre-0.14 attention
/// names, and after a save and reload.
/// </summary>
public class VaeReferenceTests
{
    // The reference ran in float32 on the same fp16-rounded weights; only summation order differs.
    const double Tight = 1e-4;

    [Fact]
    public void EncodeAndDecodeMatchTheReference()
    {
        using var scope = NewDisposeScope();
        var golden = VaeGolden.Outputs();
        var loaded = AutoencoderKlCheckpoint.Load(VaeGolden.Dir);
        using var vae = loaded.Model;
        // The directory holds only the fp16 variant, which the loader then takes.
        Assert.EndsWith(AutoencoderKlCheckpoint.Fp16WeightsFile, loaded.Weights.Shards[0].Path);
        Assert.All(vae.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
        AssertMatches(vae, golden, "fp16 variant");
    }

    [Fact]
    public void OldAttentionNamesLoadTheSameModel()
    {
        using var scope = NewDisposeScope();
        var dir = VaeGolden.Edited(state => state.ToDictionary(kv => VaeAttentionNames.Legacy(kv.Key), kv => kv.Value));
        try
        {
            var names = Kernels.IO.SafeTensors.ReadHeader(Path.Combine(dir, AutoencoderKlCheckpoint.WeightsFile)).Entries.Keys.ToList();
            Assert.Contains("encoder.mid_block.attentions.0.query.weight", names);
            Assert.Contains("decoder.mid_block.attentions.0.proj_attn.bias", names);
            Assert.DoesNotContain(names, n => n.Contains(".to_q.", StringComparison.Ordinal));
            using var vae = AutoencoderKlCheckpoint.Load(dir).Model;
            AssertMatches(vae, VaeGolden.Outputs(), "old attention names");
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void SavedFp32AndFp16ReloadToTheSameOutputs()
    {
        using var scope = NewDisposeScope();
        var golden = VaeGolden.Outputs();
        using var vae = AutoencoderKlCheckpoint.Load(VaeGolden.Dir).Model;
        foreach (var fp16 in new[] { false, true })
        {
            var dir = Directory.CreateTempSubdirectory("mminterp-vae-").FullName;
            try
            {
                AutoencoderKlCheckpoint.Save(vae, dir, fp16);
                var loaded = AutoencoderKlCheckpoint.Load(dir, fp16 ? "fp16" : null);
                using var again = loaded.Model;
                Assert.EndsWith(fp16 ? AutoencoderKlCheckpoint.Fp16WeightsFile : AutoencoderKlCheckpoint.WeightsFile, loaded.Weights.Shards[0].Path);
                Assert.Equal(vae.Config with { BlockOutChannels = [], DownBlockTypes = [], UpBlockTypes = [] },
                    again.Config with { BlockOutChannels = [], DownBlockTypes = [], UpBlockTypes = [] });
                using var _ = no_grad();
                // The weights were fp16 values to begin with, so both files hold them exactly.
                Assert.True((again.Decode(golden["latent"]) - vae.Decode(golden["latent"])).abs().max().item<float>() < 1e-5); // thread count may change between the two runs
            }
            finally { Directory.Delete(dir, true); }
        }
    }

    [Fact]
    public void ShardedFp32DirectoryLoadsTheSameModel()
    {
        using var scope = NewDisposeScope();
        var dir = VaeGolden.Edited(state => state, "unused.safetensors");
        try
        {
            File.Delete(Path.Combine(dir, "unused.safetensors"));
            // diffusers' sharded layout: diffusion_pytorch_model-0000k-of-0000n.safetensors and its index.
            var state = Kernels.IO.SafeTensors.Load(Path.Combine(VaeGolden.Dir, AutoencoderKlCheckpoint.Fp16WeightsFile)).Tensors;
            var keys = state.Keys.Order(StringComparer.Ordinal).ToList();
            var map = new System.Text.Json.Nodes.JsonObject();
            for (var s = 0; s < 2; s++)
            {
                var file = $"diffusion_pytorch_model-0000{s + 1}-of-00002.safetensors";
                var part = keys.Where((_, i) => i % 2 == s).ToDictionary(k => k, k => state[k].to(ScalarType.Float32));
                Kernels.IO.SafeTensors.Save(Path.Combine(dir, file), part);
                foreach (var k in part.Keys) map[k] = file;
            }
            File.WriteAllText(Path.Combine(dir, AutoencoderKlCheckpoint.WeightsFile + ".index.json"), new System.Text.Json.Nodes.JsonObject { ["weight_map"] = map }.ToJsonString());
            var loaded = AutoencoderKlCheckpoint.Load(dir);
            using var vae = loaded.Model;
            Assert.Equal(2, loaded.Weights.Shards.Count);
            AssertMatches(vae, VaeGolden.Outputs(), "sharded fp32");
        }
        finally { Directory.Delete(dir, true); }
    }

    static void AssertMatches(AutoencoderKl vae, Dictionary<string, Tensor> golden, string what)
    {
        using var _ = no_grad();
        var (mean, logvar) = vae.Encode(golden["image"]);
        VaeGolden.AssertClose(golden["mean"], mean, Tight, $"{what}: mean");
        VaeGolden.AssertClose(golden["logvar"], logvar, Tight, $"{what}: logvar");
        VaeGolden.AssertClose(golden["decoded"], vae.Decode(golden["latent"]), Tight, $"{what}: decoded");
    }
}
