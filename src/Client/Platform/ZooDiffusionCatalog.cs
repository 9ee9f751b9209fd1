using System.Text.Json;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Artefacts;
using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Models.Diffusion;
using MMInterp.Kernels.Zoo;

namespace MMInterp.Client.Platform;

/// <summary>The tiny text-to-image zoo model, cached like the CLIP: its id hashes the recipe, its config and the id of
/// the zoo CLIP whose text tower it is conditioned on, so a changed encoder means a new model.</summary>
public static class ZooDiffusionCatalog
{
    // Bump when the training code changes what a config produces. /2: the same code as /1, but since the model parts are
    // built under TorchRuntime.Seeded the build is reproducible, and it no longer gives the weights registered under the
    // /1 id on 2026-11-25 (generated colour 0.750 against 0.547): a registry holding that build must not serve it for this.
    const string RecipeVersion = "diffusion-zoo/2";

    public static string DiffusionId(DiffusionZooConfig config, string textEncoderId) =>
        ZooCatalog.ContentId("diffusion-tiny", RecipeVersion, JsonSerializer.Serialize(config.Validate()), textEncoderId);

    /// <summary>Ensures the zoo CLIP (its text tower is the encoder), then trains, stores and registers the diffusion model once.</summary>
    public static async Task<ZooCatalog.ZooModel> EnsureDiffusionAsync(PlatformSession session, DiffusionZooConfig config, ClipZooConfig clipConfig,
        Action<double, string>? progress, CancellationToken ct, TorchSharp.torch.Device? device = null)
    {
        var clip = await ZooCatalog.EnsureClipAsync(session, clipConfig, (p, note) => progress?.Invoke(0.3 * p, $"text encoder: {note}"), ct, device);
        var id = DiffusionId(config, clip.Model.Id);
        return await ZooCatalog.CachedAsync(session, id, ct) ?? await ZooCatalog.BuildOnceAsync(session, id,
            $"tiny text-to-image diffusion {id} (ShapesWorld zoo)", ModelFamily.Diffusion, async work =>
            {
                var clipDir = Path.Combine(work, "clip");
                var dir = Path.Combine(work, "model");
                await session.Artefacts.RestoreDirectoryAsync(clip.Model.CheckpointSha256!, clipDir, ct);
                var loaded = ClipCheckpoint.Load(clipDir);
                var tokenizer = loaded.Tokenizer ?? throw new InvalidDataException($"zoo CLIP {clip.Model.Id} has no tokenizer");
                var (result, bundle) = await Task.Run(() => new DiffusionZooTrainer(config).Build(loaded.Model, tokenizer, dir,
                    (p, note) => progress?.Invoke(0.3 + 0.7 * p, note), device, ct), ct);
                bundle.Dispose();
                return (dir, JsonSerializer.Serialize(new
                {
                    recipe = RecipeVersion, config, text_encoder = clip.Model.Id, metrics = result.Metrics, train_seconds = result.TrainSeconds,
                }));
            }, ct);
    }

    /// <summary>A diffusion model directory: the path itself when it is one, else the registered model restored into the cache.</summary>
    public static async Task<string> ResolveDirectoryAsync(PlatformSession session, string model, CancellationToken ct)
    {
        var record = await session.Registry.Models.GetAsync(model, ct)
            ?? throw new ArgumentException($"--model '{model}' is neither a directory nor a registered model id");
        if (record.Family != ModelFamily.Diffusion || record.CheckpointSha256 is not { } sha)
            throw new ArgumentException($"model '{model}' is a {RegistryNames.Name(record.Family)} model, not a diffusion model with a checkpoint");
        var dir = Path.Combine(session.Work.CacheRoot, "models", model);
        if (!File.Exists(Path.Combine(dir, DiffusionCheckpoint.ConfigFile))) await session.Artefacts.RestoreDirectoryAsync(sha, dir, ct);
        return dir;
    }
}
