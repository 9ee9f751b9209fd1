using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Models.StableDiffusion;
using MMInterp.Tests;
using Xunit;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.StableDiffusion;

/// <summary>A pipeline directory loads its own unet/ (UNet2DConditionModel through UNetCheckpoint, the default loader)
/// and samples end to end: every step's prediction is the U-Net's own Forward on what the pipeline hands it, the same
/// seed gives the same images, another prompt others; SD and SDXL, fp32 and the fp16 variant.</summary>
public sealed class SdPipelineUNetTests
{
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public void APipelineSamplesThroughItsOwnUNet(bool xl, bool fp16)
    {
        var dir = TinySdPipeline.Write(Directory.CreateTempSubdirectory("mminterp-sd-unet-").FullName, xl, fp16);
        using var pipe = StableDiffusionDirectory.Load(dir);
        var unet = Assert.IsType<UNet2DConditionModel>(pipe.Denoiser);
        Assert.Equal(TinySdPipeline.Unet(xl).BlockOutChannels, unet.Config.BlockOutChannels);

        var request = new SdRequest { Prompts = ["a red cat", "a blue dog"], Steps = 3, GuidanceScale = 2, Seed = 5 };
        var first = pipe.Generate(request);
        var again = pipe.Generate(request);
        var other = pipe.Generate(request with { Prompts = ["a blue dog", "a blue dog"] });
        Assert.Equal(2, first.Images.Count);
        Assert.Equal(TinySdPipeline.LatentSide * pipe.VaeScaleFactor, first.Images[0].Width);
        Assert.True(first.Latents.isfinite().all().item<bool>());
        // Reproducible to float tolerance, not bit for bit: other tests change libtorch's thread count, and the zoo U-Net's
        // trainer switches oneDNN off for the whole process, so two runs may sum in other orders or through other
        // convolution kernels. Judged against the latents' scale: an elementwise allclose failed in CI on entries near
        // zero, where its atol alone applies.
        var scale = first.Latents.abs().max().item<float>();
        var drift = (first.Latents - again.Latents).abs().max().item<float>();
        Assert.True(drift <= 1e-4 * scale, $"the same seed and prompts gave other latents: they moved by {drift} at scale {scale}");
        Assert.All(first.Images[0].Pixels.Zip(again.Images[0].Pixels), p => Assert.InRange(Math.Abs(p.First - p.Second), 0, 1));
        // The second prompt is the same in both runs, the first is not: only the first image's latents move.
        var still = (first.Latents[1] - other.Latents[1]).abs().max().item<float>();
        var moved = (first.Latents[0] - other.Latents[0]).abs().max().item<float>();
        Assert.True(still <= 1e-4 * scale, $"the unchanged prompt's latents moved by {still} at scale {scale}");
        Assert.True(moved > 1e-3, $"the prompt did not reach the U-Net: its latents moved by {moved} only");
    }
}
