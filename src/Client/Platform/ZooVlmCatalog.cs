using System.Text.Json;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Artefacts;
using MMInterp.Kernels.Zoo;

namespace MMInterp.Client.Platform;

/// <summary>Tiny VLMs cached by content hash, as <see cref="ZooCatalog"/> does for CLIP: the id comes from the training
/// config (which includes the CLIP config of its vision tower); the CLIP it starts from is itself a cached zoo model.</summary>
public static class ZooVlmCatalog
{
    // Salt of the content id, kept so ids of models already built stay stable. The recipe itself is VlmZooConfig.Recipe
    // (part of the hashed config, bumped when the training code changes what a config produces) and is what gets recorded.
    const string RecipeVersion = "vlm-zoo/1";

    public static string VlmId(VlmZooConfig config) => ZooCatalog.ContentId("vlm-tiny", RecipeVersion, JsonSerializer.Serialize(config.Validate()));

    public static async Task<ZooCatalog.ZooModel> EnsureVlmAsync(PlatformSession session, VlmZooConfig config, Action<double, string>? progress,
        CancellationToken ct, TorchSharp.torch.Device? device = null)
    {
        var id = VlmId(config);
        return await ZooCatalog.CachedAsync(session, id, ct) ?? await ZooCatalog.BuildOnceAsync(session, id, $"tiny VLM {id} (ShapesWorld zoo)", ModelFamily.Vlm, async work =>
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
            return (dir, JsonSerializer.Serialize(new
            {
                recipe = config.Recipe, config, metrics = result.Metrics, train_seconds = result.TrainSeconds, vision_init = clipId,
            }));
        }, ct);
    }
}
