using System.Text.Json.Nodes;
using MMInterp.Grains.Contracts.ZooBuilds;
using MMInterp.Grains.Registry;
using MMInterp.Grains.ZooBuilds;
using MMInterp.Kernels.Artefacts;
using MMInterp.Kernels.Zoo;

namespace MMInterp.Client.Platform;

/// <summary>
/// Zoo models cached by recipe: the id is derived from the training config (<see cref="ZooRecipes"/>), so a recipe is
/// trained once, stored in the artefact store and registered; later requests get the registered model back at once,
/// without starting the cluster. A recipe not built yet is built as grain work (a ZooBuild grain on an accelerator
/// silo) that this follows with a progress bar.
/// </summary>
public static class ZooCatalog
{
    public sealed record ZooModel(ModelRecord Model, JsonNode? Metrics, bool Cached, double TrainSeconds)
    {
        public double Metric(string name) => Metrics?[name]?.GetValue<double>() ?? double.NaN;

        /// <summary>The model as its registered spec describes it: the metrics and training time recorded at its build.</summary>
        internal static ZooModel FromSpec(ModelRecord model, bool cached)
        {
            var spec = JsonNode.Parse(model.SpecJson);
            var seconds = spec?["train_seconds"] is JsonValue v && v.TryGetValue<double>(out var s) ? s : double.NaN;
            return new ZooModel(model, spec?["metrics"], cached, seconds);
        }
    }

    public static string ClipId(ClipZooConfig config) => ZooRecipes.ClipId(config);

    public static Task<ZooModel> EnsureClipAsync(PlatformSession session, ClipZooConfig config, Action<double, string>? progress, CancellationToken ct,
        string device = "cpu") =>
        EnsureAsync(session, ZooBuildSpec.Clip(config, device), progress, ct);

    /// <summary>
    /// Copies the model's directory out to <paramref name="directory"/> (`zoo build --out`), through a temp dir beside it
    /// that is renamed into place, so an interrupted export leaves no half model. Null when the directory is not empty.
    /// </summary>
    public static async Task<string?> ExportAsync(PlatformSession session, ZooModel model, string directory, CancellationToken ct)
    {
        var target = Path.GetFullPath(directory);
        if (Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any()) return null;
        var temp = $"{target.TrimEnd(Path.DirectorySeparatorChar)}.tmp-{Guid.NewGuid():N}";
        try
        {
            await session.Artefacts.RestoreDirectoryAsync(model.Model.CheckpointSha256!, temp, ct);
            if (Directory.Exists(target)) Directory.Delete(target); // empty, checked above
            Directory.Move(temp, target);
        }
        catch
        {
            try { Directory.Delete(temp, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
        return target;
    }

    /// <summary>The recipe's registered model: found (instant), or built by the cluster (what it needs first included).</summary>
    public static async Task<ZooModel> EnsureAsync(PlatformSession session, ZooBuildSpec spec, Action<double, string>? progress, CancellationToken ct)
    {
        var modelId = spec.Validated().ModelId();
        if (await session.Models.BuiltAsync(modelId, ct) is { } registered) return ZooModel.FromSpec(registered, cached: true);
        var cluster = await session.ClusterAsync(ct);
        var built = await ZooBuildRunner.RunAsync(cluster, spec, async (id, c) => await session.Models.BuiltAsync(id, c) is not null,
            s => progress?.Invoke(s.Fraction, s.Stage),
            // On the embedded default, Ctrl+C means stop: the local silo would otherwise go on building for nobody.
            cancelOnAbort: !session.External, ct);
        var model = await session.Registry.Models.GetAsync(built.ModelId!, ct)
                    ?? throw new InvalidOperationException($"zoo build {built.Id} succeeded but model {built.ModelId} is not registered");
        return ZooModel.FromSpec(model, built.Cached);
    }
}
