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
        Assert.True(first.Latents.allclose(again.Latents, rtol: 0, atol: 0), "the same seed and prompts gave other latents");
        Assert.Equal(first.Images[0].Pixels, again.Images[0].Pixels);
        // The second prompt is the same in both runs, the first is not: only the first image's latents move.
        Assert.True(first.Latents[1].allclose(other.Latents[1], rtol: 0, atol: 1e-6));
        Assert.False(first.Latents[0].allclose(other.Latents[0], rtol: 0, atol: 1e-4), "the prompt did not reach the U-Net");
    }
}
