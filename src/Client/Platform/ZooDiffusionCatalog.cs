using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Artefacts;
using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Zoo;
using MMInterp.Silo.Work;

namespace MMInterp.Client.Platform;

/// <summary>The tiny text-to-image zoo model, cached like the CLIP: its id hashes the recipe, its config and the id of
/// the zoo CLIP whose text tower it is conditioned on, so a changed encoder means a new model.</summary>
public static class ZooDiffusionCatalog
{
    // Bump when the training code changes what a config produces.
    const string RecipeVersion = "diffusion-zoo/1";

    public static string DiffusionId(DiffusionZooConfig config, string textEncoderId)
    {
        var json = JsonSerializer.Serialize(config.Validate());
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{RecipeVersion}\n{textEncoderId}\n{json}")));
        return $"diffusion-tiny-{hash[..12]}";
    }

    /// <summary>Ensures the zoo CLIP (its text tower is the encoder), then trains, stores and registers the diffusion model once.</summary>
    public static async Task<ZooCatalog.ZooModel> EnsureDiffusionAsync(PlatformSession session, DiffusionZooConfig config, ClipZooConfig clipConfig,
        Action<double, string>? progress, CancellationToken ct, TorchSharp.torch.Device? device = null)
    {
        var clip = await ZooCatalog.EnsureClipAsync(session, clipConfig, (p, note) => progress?.Invoke(0.3 * p, $"text encoder: {note}"), ct, device);
        var id = DiffusionId(config, clip.Model.Id);
        if (await session.Registry.Models.GetAsync(id, ct) is { CheckpointSha256: { } sha } existing && session.Artefacts.Contains(sha))
            return new ZooCatalog.ZooModel(existing, JsonNode.Parse(existing.SpecJson)?["metrics"], Cached: true);

        var work = Path.Combine(session.Work.CacheRoot, "zoo-build", $"{id}-{Guid.NewGuid():N}");
        var clipDir = Path.Combine(work, "clip");
        var dir = Path.Combine(work, "model");
        try
        {
            await session.Artefacts.RestoreDirectoryAsync(clip.Model.CheckpointSha256!, clipDir, ct);
            var loaded = ClipCheckpoint.Load(clipDir);
            var tokenizer = loaded.Tokenizer ?? throw new InvalidDataException($"zoo CLIP {clip.Model.Id} has no tokenizer");
            var (result, bundle) = await Task.Run(() => new DiffusionZooTrainer(config).Build(loaded.Model, tokenizer, dir,
                (p, note) => progress?.Invoke(0.3 + 0.7 * p, note), device, ct), ct);
            bundle.Dispose();
            var spec = JsonSerializer.Serialize(new
            {
                recipe = RecipeVersion, config, text_encoder = clip.Model.Id, metrics = result.Metrics, train_seconds = result.TrainSeconds,
            });
            var model = await ModelRegistration.RegisterDirectoryAsync(session.Artefacts, session.Registry, id, $"tiny text-to-image diffusion {id} (ShapesWorld zoo)",
                ModelFamily.Diffusion, dir, spec, ct);
            return new ZooCatalog.ZooModel(model, JsonNode.Parse(spec)?["metrics"], Cached: false);
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
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
