using System.Text.Json;
using System.Text.Json.Nodes;
using MMInterp.Grains.Contracts.ZooBuilds;
using MMInterp.Grains.Placement;
using MMInterp.Grains.Registry;
using MMInterp.Grains.ZooBuilds;
using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Models.Diffusion;
using MMInterp.Kernels.Tensors;
using MMInterp.Kernels.Zoo;

namespace MMInterp.Silo.Work;

/// <summary>
/// Zoo training on this silo. A recipe registered before (with its checkpoint in the store) is returned at once. A
/// recipe built from another zoo model (a VLM's vision tower, a diffusion model's text encoder: the CLIP) gets that
/// one through its own ZooBuild grain first, then reads it through the model resolver. The trainer writes into a fresh
/// work directory under the cache; the directory is stored and registered under the recipe's model id with the build
/// as its training run, and the spec recorded with the model holds the held-out metrics, as `zoo build` prints them.
/// </summary>
public sealed class KernelZooBuilder(ModelDirectories models, ArtefactCache artefacts, RegistryStore registry, WorkOptions options, IGrainFactory grains)
    : IZooBuilder
{
    /// <summary>Share of the progress bar for building the required CLIP, when it has to be built.</summary>
    const double RequiredShare = 0.3;

    public async Task<ZooBuildOutcome> BuildAsync(string buildId, ZooBuildSpec spec, Func<int, string, Task> progress, DeviceSlot slot, CancellationToken ct)
    {
        var modelId = spec.ModelId();
        if (await models.BuiltAsync(modelId, ct) is { } built) return new ZooBuildOutcome(modelId, built.CheckpointSha256!, Cached: true);

        var relay = new ZooProgressRelay(progress, spec.Steps());
        var start = 0.0;
        string? requiredId = null, requiredDir = null;
        if (spec.Requires() is { } required)
        {
            requiredId = required.ModelId();
            if (await models.BuiltAsync(requiredId, ct) is null)
            {
                start = RequiredShare;
                await ZooBuildRunner.RunAsync(grains, required, async (id, c) => await models.BuiltAsync(id, c) is not null,
                    s => relay.Report(RequiredShare * s.Fraction, $"{required.Family} {s.Id}: {s.Stage}"), cancelOnAbort: false, ct);
            }
        }
        else requiredId = spec.TextEncoderModelId; // a registered CLIP (a user's checkpoint): nothing to build
        if (requiredId is not null) requiredDir = await models.DirectoryAsync(requiredId, ModelFamily.Clip, ct);

        var work = Path.Combine(options.CacheRoot, "zoo-build", $"{buildId}-{Guid.NewGuid():N}");
        try
        {
            var device = TorchRuntime.ParseDevice(spec.Device.StartsWith("cuda", StringComparison.Ordinal) ? spec.Device : slot.Device);
            void Train(double p, string note) => relay.Report(start + (1 - start) * p, note);
            var (dir, name, family, specJson) = Trained(spec, modelId, work, requiredId, requiredDir, Train, device, ct);
            ModelRecord record;
            try
            {
                record = await ModelRegistration.RegisterDirectoryAsync(artefacts.Store, registry, modelId, name, family, dir, specJson, ct, trainingRunId: buildId);
            }
            catch (InvalidOperationException e)
            {
                // Another checkpoint under this recipe's id: the training code changed without a recipe bump. Retrying cannot help.
                throw new InvalidDataException($"zoo build {buildId}: {e.Message}", e);
            }
            return new ZooBuildOutcome(modelId, record.CheckpointSha256!, Cached: false);
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>Trains the recipe into <paramref name="work"/>; returns the model directory, its name, family and the spec to register.</summary>
    static (string Directory, string Name, ModelFamily Family, string SpecJson) Trained(ZooBuildSpec spec, string modelId, string work,
        string? requiredId, string? requiredDir, Action<double, string> progress, TorchSharp.torch.Device device, CancellationToken ct)
    {
        try
        {
            switch (spec.Family)
            {
                case ZooBuildSpec.ClipFamily:
                {
                    var config = spec.ClipConfig();
                    // The default recipe's checkpoint ships with the code (ShippedClip): restored, not trained again.
                    var shipped = ShippedClip.TryRestore(config, work);
                    if (shipped is not null) progress(1.0, "restored the shipped checkpoint of this recipe");
                    var result = shipped ?? new ClipZooTrainer(config).Build(work, progress, device, ct);
                    return (work, $"tiny CLIP {modelId} (ShapesWorld zoo)", ModelFamily.Clip, JsonSerializer.Serialize(new
                    {
                        recipe = ZooRecipes.ClipRecipe, config, metrics = result.Metrics, train_seconds = result.TrainSeconds, shipped = shipped is not null,
                    }));
                }
                case ZooBuildSpec.VlmFamily:
                {
                    var config = spec.VlmConfig();
                    // vlm-zoo/6-7 train HF's LLaVA architecture and save it in HF's layout; older recipes the zoo decoder.
                    var result = config.IsLlava ? new LlavaZooTrainer(config).Build(work, progress, device, ct, requiredDir)
                        : new VlmZooTrainer(config).Build(work, progress, device, ct, requiredDir);
                    return (work, $"tiny VLM {modelId} (ShapesWorld zoo)", ModelFamily.Vlm, JsonSerializer.Serialize(new
                    {
                        recipe = config.Recipe, config, metrics = result.Metrics, train_seconds = result.TrainSeconds, vision_init = requiredId,
                    }));
                }
                case ZooBuildSpec.DiffusionFamily:
                {
                    var config = spec.DiffusionConfig();
                    var clip = ClipCheckpoint.Load(requiredDir!);
                    var tokenizer = clip.Tokenizer ?? throw new ArgumentException($"text encoder {requiredId} has no tokenizer (vocab.json and merges.txt, or tokenizer.json)");
                    var (result, bundle) = new DiffusionZooTrainer(config).Build(clip.Model, tokenizer, work, progress, device, ct);
                    bundle.Dispose();
                    return (work, $"tiny text-to-image diffusion {modelId} (ShapesWorld zoo)", ModelFamily.Diffusion, JsonSerializer.Serialize(new
                    {
                        recipe = ZooRecipes.DiffusionRecipe, config, text_encoder = requiredId, metrics = result.Metrics, train_seconds = result.TrainSeconds,
                    }));
                }
                case ZooBuildSpec.UNetFamily:
                {
                    var config = spec.UNetConfig();
                    // The default recipe's checkpoint ships with the code (ShippedUNet, conditioned on the shipped CLIP):
                    // restored, not trained again.
                    var shipped = spec.TextEncoderConfig() == ClipZooConfig.Default ? ShippedUNet.TryRestore(config, work) : null;
                    DiffusionMetrics metrics;
                    if (shipped is not null) { progress(1.0, "restored the shipped checkpoint of this recipe"); metrics = ShippedUNet.Metrics!; }
                    else
                    {
                        var clip = ClipCheckpoint.Load(requiredDir!);
                        var tokenizer = clip.Tokenizer ?? throw new ArgumentException($"text encoder {requiredId} has no tokenizer (vocab.json and merges.txt, or tokenizer.json)");
                        var (built, model, _) = new UNetZooTrainer(config).Build(clip.Model, tokenizer, work, progress, device, ct);
                        model.Dispose();
                        metrics = built;
                    }
                    var seconds = JsonNode.Parse(File.ReadAllText(Path.Combine(work, UNetZooCheckpoint.ZooFile)))?["train_seconds"]?.GetValue<double>();
                    return (work, $"tiny text-to-image U-Net {modelId} (ShapesWorld zoo)", ModelFamily.Diffusion, JsonSerializer.Serialize(new
                    {
                        recipe = ZooRecipes.UNetRecipe, config, text_encoder = requiredId, metrics, train_seconds = seconds, shipped = shipped is not null,
                    }));
                }
                default:
                    throw new ArgumentException($"zoo build: family '{spec.Family}' is unknown");
            }
        }
        catch (Exception e) when (e is not (OperationCanceledException or IOException or UnauthorizedAccessException or ArgumentException or InvalidDataException))
        {
            // The recipes are deterministic: a trainer that failed (diverged, refused its input) fails the same way again.
            throw new InvalidDataException($"zoo build of {modelId}: {e.Message}", e);
        }
    }
}
