using System.Text.Json;
using MMInterp.Kernels.Models.Clip;

namespace MMInterp.Kernels.Zoo;

/// <summary>
/// The zoo CLIP of the default recipe, shipped with the code (<see cref="ShippedCheckpoint"/>, from Zoo/Shipped/clip):
/// it trains for longer than the first quickstart's budget (bench/RESULTS.md, "A zoo CLIP that reads"). A build of
/// exactly the shipped config restores it instead of training; `ShippedClipTests` checks that the recipe still
/// rebuilds it bit for bit.
/// </summary>
public static class ShippedClip
{
    public static ShippedCheckpoint Checkpoint { get; } = new("clip", ["config.json", "model.safetensors", "vocab.json", "merges.txt", "zoo.json"]);

    /// <summary>The config the shipped checkpoint was trained with (null when none is shipped).</summary>
    public static ClipZooConfig? Config => Checkpoint.Zoo?["config"].Deserialize<ClipZooConfig>();

    /// <summary>Writes the shipped checkpoint into <paramref name="directory"/> when <paramref name="config"/> is the
    /// shipped one, after checking every file against the manifest; null when another config is asked for.</summary>
    /// <exception cref="InvalidDataException">a shipped file does not match its manifest hash</exception>
    public static ClipZooResult? TryRestore(ClipZooConfig config, string directory)
    {
        if (Checkpoint.Zoo is not { } zoo || zoo["config"].Deserialize<ClipZooConfig>() != config) return null;
        var paths = Checkpoint.Restore(directory);
        var metrics = zoo["metrics"].Deserialize<ClipMetrics>() ?? throw new InvalidDataException("the shipped zoo CLIP's zoo.json has no metrics");
        return new ClipZooResult(config, metrics, directory, paths, zoo["train_seconds"]?.GetValue<double>() ?? double.NaN, zoo["final_loss"]?.GetValue<double>() ?? double.NaN);
    }
}
