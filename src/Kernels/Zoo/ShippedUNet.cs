using System.Text.Json;
using MMInterp.Kernels.Models.Diffusion;
using MMInterp.Kernels.Models.ZooUNet;

namespace MMInterp.Kernels.Zoo;

/// <summary>
/// The zoo U-Net of the default recipe, shipped with the code (<see cref="ShippedCheckpoint"/>, from Zoo/Shipped/unet):
/// it trains for about 40 CPU minutes, four times the first quickstart's budget (bench/RESULTS.md, "A zoo U-Net that
/// draws"). Its directory is <see cref="Checkpoints.UNetZooCheckpoint"/>'s, conditioned on the shipped zoo CLIP.
/// `ShippedUNetTests` checks that the recipe still rebuilds it bit for bit.
/// </summary>
public static class ShippedUNet
{
    public static ShippedCheckpoint Checkpoint { get; } = new("unet",
    [
        "unet/config.json", "unet/diffusion_pytorch_model.safetensors", "scheduler/scheduler_config.json",
        "text_encoder/config.json", "text_encoder/model.safetensors", "text_encoder/vocab.json", "text_encoder/merges.txt",
        "classifier.safetensors", "zoo.json",
    ]);

    /// <summary>The config the shipped checkpoint was trained with (null when none is shipped).</summary>
    public static UNetZooConfig? Config => Checkpoint.Zoo?["config"].Deserialize<UNetZooConfig>();

    /// <summary>The held-out figures recorded when it was built.</summary>
    public static DiffusionMetrics? Metrics => Checkpoint.Zoo?["metrics"].Deserialize<DiffusionMetrics>();

    /// <summary>Writes the shipped directory into <paramref name="directory"/> when <paramref name="config"/> is the
    /// shipped one (every file checked against the manifest first); null when another config is asked for.</summary>
    public static IReadOnlyList<string>? TryRestore(UNetZooConfig config, string directory) =>
        Config is { } shipped && shipped == config ? Checkpoint.Restore(directory) : null;
}
