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

    public sealed record ZooModel(ModelRecord Model, JsonNode? Metrics, bool Cached)
    {
        public double Metric(string name) => Metrics?[name]?.GetValue<double>() ?? double.NaN;
    }

    public static string ClipId(ClipZooConfig config)
    {
        var json = JsonSerializer.Serialize(config.Validate());
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{RecipeVersion}\n{json}")));
        return $"clip-tiny-{hash[..12]}";
    }

    public static async Task<ZooModel> EnsureClipAsync(PlatformSession session, ClipZooConfig config, Action<double, string>? progress, CancellationToken ct,
        TorchSharp.torch.Device? device = null)
    {
        var id = ClipId(config);
        if (await session.Registry.Models.GetAsync(id, ct) is { CheckpointSha256: { } sha } existing && session.Artefacts.Contains(sha))
            return new ZooModel(existing, JsonNode.Parse(existing.SpecJson)?["metrics"], Cached: true);

        var dir = Path.Combine(session.Work.CacheRoot, "zoo-build", $"{id}-{Guid.NewGuid():N}");
        try
        {
            var result = await Task.Run(() => new ClipZooTrainer(config).Build(dir, progress, device, ct), ct);
            var spec = JsonSerializer.Serialize(new { recipe = RecipeVersion, config, metrics = result.Metrics, train_seconds = result.TrainSeconds });
            var model = await ModelRegistration.RegisterDirectoryAsync(session.Artefacts, session.Registry, id, $"tiny CLIP {id} (ShapesWorld zoo)",
                ModelFamily.Clip, dir, spec, ct);
            return new ZooModel(model, JsonNode.Parse(spec)?["metrics"], Cached: false);
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
