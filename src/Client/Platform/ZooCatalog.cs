using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Zoo;
using MMInterp.Silo.Work;

namespace MMInterp.Client.Platform;

/// <summary>
/// Zoo models cached by content hash: the id is derived from the training config, so the same config is trained
/// once, stored in the artefact store and registered; later requests get the registered model back.
/// </summary>
public static class ZooCatalog
{
    // Bump when the training code changes what a config produces.
    const string RecipeVersion = "clip-zoo/3";

    public sealed record ZooModel(ModelRecord Model, JsonNode? Metrics, bool Cached, double TrainSeconds)
    {
        public double Metric(string name) => Metrics?[name]?.GetValue<double>() ?? double.NaN;

        /// <summary>The model as its registered spec describes it: the metrics and training time recorded at its build.</summary>
        internal static ZooModel FromSpec(ModelRecord model, string specJson, bool cached)
        {
            var spec = JsonNode.Parse(specJson);
            var seconds = spec?["train_seconds"] is JsonValue v && v.TryGetValue<double>(out var s) ? s : double.NaN;
            return new ZooModel(model, spec?["metrics"], cached, seconds);
        }
    }

    public static string ClipId(ClipZooConfig config) => ContentId("clip-tiny", RecipeVersion, JsonSerializer.Serialize(config.Validate()));

    public static async Task<ZooModel> EnsureClipAsync(PlatformSession session, ClipZooConfig config, Action<double, string>? progress, CancellationToken ct,
        TorchSharp.torch.Device? device = null)
    {
        var id = ClipId(config);
        return await CachedAsync(session, id, ct) ?? await BuildOnceAsync(session, id, $"tiny CLIP {id} (ShapesWorld zoo)", ModelFamily.Clip, async work =>
        {
            var result = await Task.Run(() => new ClipZooTrainer(config).Build(work, progress, device, ct), ct);
            return (work, JsonSerializer.Serialize(new { recipe = RecipeVersion, config, metrics = result.Metrics, train_seconds = result.TrainSeconds }));
        }, ct);
    }

    /// <summary>"{prefix}-{first 12 hex of sha256(recipe, extra inputs, config json)}": same inputs, same id.</summary>
    internal static string ContentId(string prefix, string recipe, string configJson, string? extra = null)
    {
        var text = extra is null ? $"{recipe}\n{configJson}" : $"{recipe}\n{extra}\n{configJson}";
        return $"{prefix}-{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..12]}";
    }

    /// <summary>The registered zoo model with this id, when its checkpoint is still in the artefact store.</summary>
    internal static async Task<ZooModel?> CachedAsync(PlatformSession session, string id, CancellationToken ct) =>
        await session.Registry.Models.GetAsync(id, ct) is { CheckpointSha256: { } sha } existing && session.Artefacts.Contains(sha)
            ? ZooModel.FromSpec(existing, existing.SpecJson, cached: true)
            : null;

    /// <summary>
    /// Runs <paramref name="build"/> in a fresh work directory under the cache, registers the model directory it returns
    /// with the spec it returns (which holds the metrics), and removes the work directory whatever happens.
    /// </summary>
    internal static async Task<ZooModel> BuildOnceAsync(PlatformSession session, string id, string name, ModelFamily family,
        Func<string, Task<(string ModelDirectory, string SpecJson)>> build, CancellationToken ct)
    {
        var work = Path.Combine(session.Work.CacheRoot, "zoo-build", $"{id}-{Guid.NewGuid():N}");
        try
        {
            var (dir, spec) = await build(work);
            var model = await ModelRegistration.RegisterDirectoryAsync(session.Artefacts, session.Registry, id, name, family, dir, spec, ct);
            return ZooModel.FromSpec(model, spec, cached: false);
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
