using MMInterp.Grains.Contracts.ZooBuilds;
using MMInterp.Kernels.Models.Diffusion;
using MMInterp.Kernels.Models.ZooUNet;
using MMInterp.Kernels.Zoo;
using Xunit;

namespace MMInterp.Grains.Tests.ZooBuilds;

/// <summary>
/// A zoo build spec carries its config as JSON; the model id it derives must be the id the config itself hashes to
/// (the ids registries hold were computed from the config objects), and bad specs are refused with their problem.
/// </summary>
public class ZooBuildSpecTests
{
    static readonly ClipZooConfig OddClip = ClipZooConfig.Default with { LearningRate = 3e-3, WarmupFraction = 0.07, Steps = 17, OverlayRate = 0.3 };

    [Fact]
    public void TheModelIdSurvivesTheSpecsJsonAndIgnoresTheDevice()
    {
        Assert.Equal(ZooRecipes.ClipId(ClipZooConfig.Default), ZooBuildSpec.Clip(ClipZooConfig.Default).ModelId());
        Assert.Equal(ZooRecipes.ClipId(OddClip), ZooBuildSpec.Clip(OddClip, "cuda:1").ModelId());
        Assert.NotEqual(ZooRecipes.ClipId(ClipZooConfig.Default), ZooRecipes.ClipId(OddClip));
        var vlm = VlmZooConfig.Default with { Clip = OddClip, LearningRate = 1.5e-3 };
        Assert.Equal(ZooRecipes.VlmId(vlm), ZooBuildSpec.Vlm(vlm).ModelId());
        Assert.Equal(ZooRecipes.DiffusionId(DiffusionZooConfig.Default, ZooRecipes.ClipId(OddClip)),
            ZooBuildSpec.Diffusion(DiffusionZooConfig.Default, OddClip).ModelId());
        Assert.StartsWith("clip-tiny-", ZooBuildSpec.Clip(OddClip).ModelId());
        Assert.Equal(ZooRecipes.UNetId(UNetZooConfig.Default, ZooRecipes.ClipId(OddClip)), ZooBuildSpec.UNet(UNetZooConfig.Default, OddClip, "cuda").ModelId());
        Assert.NotEqual(ZooBuildSpec.UNet(UNetZooConfig.Default, OddClip).ModelId(), ZooBuildSpec.UNet(UNetZooConfig.Default with { Seed = 1 }, OddClip).ModelId());
    }

    [Fact]
    public void ARecipeRequiresTheClipItStartsFrom()
    {
        Assert.Null(ZooBuildSpec.Clip(OddClip).Requires());
        Assert.Equal(ZooBuildSpec.Clip(OddClip, "cuda"), ZooBuildSpec.Vlm(VlmZooConfig.Default with { Clip = OddClip }, "cuda").Requires());
        Assert.Null(ZooBuildSpec.Vlm(VlmZooConfig.Default with { InitFromClip = false, VisionLearningRateScale = 1 }).Requires());
        Assert.Equal(ZooBuildSpec.Clip(OddClip), ZooBuildSpec.Diffusion(DiffusionZooConfig.Default, OddClip).Requires());
        Assert.Equal(17, ZooBuildSpec.Clip(OddClip).Steps());
        Assert.Equal(ZooBuildSpec.Clip(OddClip), ZooBuildSpec.UNet(UNetZooConfig.Default, OddClip).Requires());
        Assert.Equal(UNetZooConfig.Default.Steps, ZooBuildSpec.UNet(UNetZooConfig.Default, OddClip).Steps());
    }

    [Fact]
    public void BadSpecsAreRefusedNamingTheProblem()
    {
        Assert.Contains("family 'gan' is unknown", Assert.Throws<ArgumentException>(() => new ZooBuildSpec("gan", "{}").Validated()).Message);
        Assert.Contains("device 'tpu'", Assert.Throws<ArgumentException>(() => (ZooBuildSpec.Clip(OddClip) with { Device = "tpu" }).Validated()).Message);
        Assert.Contains("Steps must be at least 1", Assert.Throws<ArgumentException>(() => new ZooBuildSpec("clip", """{"Steps": 0}""").Validated()).Message);
        Assert.Contains("not valid JSON", Assert.Throws<ArgumentException>(() => new ZooBuildSpec("clip", "{steps").Validated()).Message);
        Assert.Contains("text encoder", Assert.Throws<ArgumentException>(() => new ZooBuildSpec("diffusion", "{}").Validated()).Message);
        Assert.Contains("Guidance", Assert.Throws<ArgumentException>(() => new ZooBuildSpec("unet", """{"Guidance": 99}""", "{}").Validated()).Message);
        Assert.Contains("registered CLIP", Assert.Throws<ArgumentException>(() => (ZooBuildSpec.UNet(UNetZooConfig.Default, OddClip) with { TextEncoderModelId = "clip-x" }).Validated()).Message);
    }

    [Fact]
    public void BuildKeysNameTheRecipeAndTheAttempt()
    {
        Assert.Equal(("clip-tiny-0123456789ab", "clip-tiny-0123456789ab.3"), (ZooBuildKeys.Key("clip-tiny-0123456789ab", 1), ZooBuildKeys.Key("clip-tiny-0123456789ab", 3)));
        Assert.True(ZooBuildKeys.IsAttemptOf("clip-tiny-0123456789ab", "clip-tiny-0123456789ab"));
        Assert.True(ZooBuildKeys.IsAttemptOf("clip-tiny-0123456789ab.12", "clip-tiny-0123456789ab"));
        Assert.False(ZooBuildKeys.IsAttemptOf("clip-tiny-0123456789ab.1", "clip-tiny-0123456789ab"));
        Assert.False(ZooBuildKeys.IsAttemptOf("clip-tiny-0123456789ab.x", "clip-tiny-0123456789ab"));
        Assert.False(ZooBuildKeys.IsAttemptOf("clip-tiny-ffffffffffff", "clip-tiny-0123456789ab"));
    }
}
