using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MMInterp.Kernels.Models.Diffusion;
using MMInterp.Kernels.Models.ZooUNet;
using MMInterp.Kernels.Zoo;

namespace MMInterp.Grains.Contracts.ZooBuilds;

/// <summary>
/// The ids of zoo models: "{prefix}-{first 12 hex of sha256(recipe, extra inputs, config json)}". Same recipe, same id,
/// so a recipe is trained once and later builds find it registered. The salts and formats are those of the ids already
/// in registries (they were computed by the CLI's zoo catalogues before builds became grain work): do not change them.
/// </summary>
public static class ZooRecipes
{
    /// <summary>Bump when the training code changes what a CLIP config produces.</summary>
    public const string ClipRecipe = "clip-zoo/4";

    /// <summary>Salt of the VLM id, kept so ids stay stable. The recipe itself is VlmZooConfig.Recipe (part of the
    /// hashed config, bumped when the training code changes what a config produces) and is what gets recorded.</summary>
    public const string VlmSalt = "vlm-zoo/1";

    /// <summary>/2: the same code as /1, but since the model parts are built under TorchRuntime.Seeded the build is
    /// reproducible, and it no longer gives the weights registered under the /1 id on 2026-11-25 (generated colour 0.750
    /// against 0.547): a registry holding that build must not serve it for this.</summary>
    public const string DiffusionRecipe = "diffusion-zoo/2";

    /// <summary>Bump when the training code changes what a U-Net config produces.</summary>
    public const string UNetRecipe = "unet-zoo/1";

    public static string ClipId(ClipZooConfig config) => ContentId("clip-tiny", ClipRecipe, JsonSerializer.Serialize(config.Validate()));

    public static string VlmId(VlmZooConfig config) => ContentId("vlm-tiny", VlmSalt, JsonSerializer.Serialize(config.Validate()));

    /// <summary>The text encoder (a zoo CLIP) is part of the id: a changed encoder means a new model.</summary>
    public static string DiffusionId(DiffusionZooConfig config, string textEncoderId) =>
        ContentId("diffusion-tiny", DiffusionRecipe, JsonSerializer.Serialize(config.Validate()), textEncoderId);

    public static string UNetId(UNetZooConfig config, string textEncoderId) =>
        ContentId("unet-tiny", UNetRecipe, JsonSerializer.Serialize(config.Validate()), textEncoderId);

    public static string ContentId(string prefix, string recipe, string configJson, string? extra = null)
    {
        var text = extra is null ? $"{recipe}\n{configJson}" : $"{recipe}\n{extra}\n{configJson}";
        return $"{prefix}-{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..12]}";
    }
}
