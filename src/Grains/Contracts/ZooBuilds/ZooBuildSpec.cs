using System.Text.Json;
using System.Text.RegularExpressions;
using MMInterp.Kernels.Models.Diffusion;
using MMInterp.Kernels.Models.ZooUNet;
using MMInterp.Kernels.Zoo;

namespace MMInterp.Grains.Contracts.ZooBuilds;

/// <summary>
/// One zoo model to build: its family (clip, vlm, diffusion: the DiT, unet: the U-Net) and the kernel's config record as
/// JSON; a text-to-image model also names the CLIP whose text tower conditions it: a zoo CLIP config (built first) or a registered CLIP model id
/// (<see cref="TextEncoderModelId"/>, e.g. a user's Hugging Face checkpoint). The model id (and the build's grain key) follow from
/// the recipe; <see cref="Device"/> is where to train and is not part of it.
/// </summary>
[GenerateSerializer, Immutable, Alias("mminterp.zoo-build-spec")]
public sealed partial record ZooBuildSpec(
    [property: Id(0)] string Family,
    [property: Id(1)] string ConfigJson,
    [property: Id(2)] string? TextEncoderJson = null,
    [property: Id(3)] string Device = "cpu",
    [property: Id(4)] string? TextEncoderModelId = null)
{
    public const string ClipFamily = "clip";
    public const string VlmFamily = "vlm";
    public const string DiffusionFamily = "diffusion";
    /// <summary>The zoo's text-to-image U-Net (registered in the diffusion family, as the DiT is).</summary>
    public const string UNetFamily = "unet";

    public static ZooBuildSpec Clip(ClipZooConfig config, string device = "cpu") =>
        new(ClipFamily, JsonSerializer.Serialize(config.Validate()), null, device);

    public static ZooBuildSpec Vlm(VlmZooConfig config, string device = "cpu") =>
        new(VlmFamily, JsonSerializer.Serialize(config.Validate()), null, device);

    public static ZooBuildSpec Diffusion(DiffusionZooConfig config, ClipZooConfig textEncoder, string device = "cpu") =>
        new(DiffusionFamily, JsonSerializer.Serialize(config.Validate()), JsonSerializer.Serialize(textEncoder.Validate()), device);

    /// <summary>A diffusion model conditioned by a registered CLIP (any CLIP model id, not built here).</summary>
    public static ZooBuildSpec Diffusion(DiffusionZooConfig config, string textEncoderModelId, string device = "cpu") =>
        new(DiffusionFamily, JsonSerializer.Serialize(config.Validate()), null, device, textEncoderModelId);

    public static ZooBuildSpec UNet(UNetZooConfig config, ClipZooConfig textEncoder, string device = "cpu") =>
        new(UNetFamily, JsonSerializer.Serialize(config.Validate()), JsonSerializer.Serialize(textEncoder.Validate()), device);

    public ClipZooConfig ClipConfig() => Read<ClipZooConfig>(ClipFamily, ConfigJson);
    public VlmZooConfig VlmConfig() => Read<VlmZooConfig>(VlmFamily, ConfigJson);
    public DiffusionZooConfig DiffusionConfig() => Read<DiffusionZooConfig>(DiffusionFamily, ConfigJson);
    public UNetZooConfig UNetConfig() => Read<UNetZooConfig>(UNetFamily, ConfigJson);

    /// <summary>The zoo CLIP whose text tower conditions a diffusion model.</summary>
    public ClipZooConfig TextEncoderConfig() =>
        JsonSerializer.Deserialize<ClipZooConfig>(TextEncoderJson ?? throw new ArgumentException("zoo build: a diffusion recipe needs its text encoder's CLIP config"))
        ?? throw new ArgumentException("zoo build: the text encoder config is empty");

    /// <summary>The registered model's id, derived from the recipe (see <see cref="ZooRecipes"/>).</summary>
    public string ModelId() => Family switch
    {
        ClipFamily => ZooRecipes.ClipId(ClipConfig()),
        VlmFamily => ZooRecipes.VlmId(VlmConfig()),
        DiffusionFamily => ZooRecipes.DiffusionId(DiffusionConfig(), TextEncoderModelId ?? ZooRecipes.ClipId(TextEncoderConfig())),
        UNetFamily => ZooRecipes.UNetId(UNetConfig(), ZooRecipes.ClipId(TextEncoderConfig())),
        _ => throw UnknownFamily(),
    };

    /// <summary>The zoo model this one is built from, when it is one: the CLIP a VLM's vision tower starts from, the
    /// CLIP whose text tower conditions a diffusion model. It is built first (and once).</summary>
    public ZooBuildSpec? Requires() => Family switch
    {
        VlmFamily when VlmConfig() is { InitFromClip: true } vlm => Clip(vlm.Clip, Device),
        DiffusionFamily when TextEncoderModelId is null => Clip(TextEncoderConfig(), Device),
        UNetFamily => Clip(TextEncoderConfig(), Device),
        _ => null,
    };

    /// <summary>The CLIP model a diffusion recipe is conditioned on: the registered one, or the zoo CLIP it requires.</summary>
    public string? TextEncoderId() => Family is DiffusionFamily or UNetFamily ? TextEncoderModelId ?? Requires()!.ModelId() : null;

    /// <summary>Optimiser steps of the recipe: the build's progress is reported in them.</summary>
    public int Steps() => Family switch
    {
        ClipFamily => ClipConfig().Steps,
        VlmFamily => VlmConfig().Steps,
        DiffusionFamily => DiffusionConfig().Steps,
        UNetFamily => UNetConfig().Steps,
        _ => throw UnknownFamily(),
    };

    /// <summary>Throws an ArgumentException naming the first problem (unknown family, a config its kernel refuses).</summary>
    public ZooBuildSpec Validated()
    {
        if (!DevicePattern().IsMatch(Device)) throw new ArgumentException($"zoo build: device '{Device}' must be cpu or cuda[:index]");
        _ = Family switch
        {
            ClipFamily => (object)ClipConfig().Validate(),
            VlmFamily => VlmConfig().Validate(),
            DiffusionFamily when TextEncoderModelId is not null => (DiffusionConfig().Validate(), RegistryIds.Validate(TextEncoderModelId, "zoo build: text encoder model id")),
            DiffusionFamily => (DiffusionConfig().Validate(), TextEncoderConfig().Validate()),
            UNetFamily when TextEncoderModelId is not null => throw new ArgumentException("zoo build: the zoo U-Net is conditioned on a zoo CLIP config, not a registered CLIP"),
            UNetFamily => (UNetConfig().Validate(), TextEncoderConfig().Validate()),
            _ => throw UnknownFamily(),
        };
        return this;
    }

    ArgumentException UnknownFamily() => new($"zoo build: family '{Family}' is unknown; zoo models are {ClipFamily}, {VlmFamily}, {DiffusionFamily} and {UNetFamily}");

    static T Read<T>(string family, string json) where T : class
    {
        try
        {
            return JsonSerializer.Deserialize<T>(json) ?? throw new ArgumentException($"zoo build: the {family} config is empty");
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"zoo build: the {family} config is not valid JSON: {e.Message}", e);
        }
    }

    [GeneratedRegex("^(cpu|cuda(:[0-9]+)?)$")]
    private static partial Regex DevicePattern();
}
