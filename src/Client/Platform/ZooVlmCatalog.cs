using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Artefacts;
using MMInterp.Kernels.Zoo;
using MMInterp.Silo.Work;

namespace MMInterp.Client.Platform;

/// <summary>Tiny VLMs cached by content hash, as <see cref="ZooCatalog"/> does for CLIP: the id comes from the training
/// config (which includes the CLIP config of its vision tower); the CLIP it starts from is itself a cached zoo model.</summary>
public static class ZooVlmCatalog
{
    // Bump when the training code changes what a config produces.
    const string RecipeVersion = "vlm-zoo/1";

    public static string VlmId(VlmZooConfig config)
    {
        var json = JsonSerializer.Serialize(config.Validate());
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{RecipeVersion}\n{json}")));
        return $"vlm-tiny-{hash[..12]}";
    }

    public static async Task<ZooCatalog.ZooModel> EnsureVlmAsync(PlatformSession session, VlmZooConfig config, Action<double, string>? progress,
        CancellationToken ct, TorchSharp.torch.Device? device = null)
    {
        var id = VlmId(config);
        if (await session.Registry.Models.GetAsync(id, ct) is { CheckpointSha256: { } sha } existing && session.Artefacts.Contains(sha))
            return new ZooCatalog.ZooModel(existing, JsonNode.Parse(existing.SpecJson)?["metrics"], Cached: true);

        var work = Path.Combine(session.Work.CacheRoot, "zoo-build", $"{id}-{Guid.NewGuid():N}");
        try
        {
            string? clipDir = null;
            string? clipId = null;
            if (config.InitFromClip)
            {
                var clip = await ZooCatalog.EnsureClipAsync(session, config.Clip, (p, note) => progress?.Invoke(0.3 * p, $"CLIP {note}"), ct, device);
                clipId = clip.Model.Id;
                clipDir = Path.Combine(work, "clip");
                await session.Artefacts.RestoreDirectoryAsync(clip.Model.CheckpointSha256!, clipDir, ct);
            }
            var dir = Path.Combine(work, "vlm");
            var result = await Task.Run(() => new VlmZooTrainer(config).Build(dir, (p, note) => progress?.Invoke(clipDir is null ? p : 0.3 + 0.7 * p, note),
                device, ct, clipDir), ct);
            var spec = JsonSerializer.Serialize(new
            {
                recipe = RecipeVersion, config, metrics = result.Metrics, train_seconds = result.TrainSeconds, vision_init = clipId,
            });
            var model = await ModelRegistration.RegisterDirectoryAsync(session.Artefacts, session.Registry, id, $"tiny VLM {id} (ShapesWorld zoo)",
                ModelFamily.Vlm, dir, spec, ct);
            return new ZooCatalog.ZooModel(model, JsonNode.Parse(spec)?["metrics"], Cached: false);
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
