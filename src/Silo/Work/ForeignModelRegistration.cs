using System.Text.Json.Nodes;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Artefacts;
using MMInterp.Kernels.Checkpoints;

namespace MMInterp.Silo.Work;

/// <summary>The outcome of registering a checkpoint: its row, what was inspected, and whether it was already there.</summary>
public sealed record ForeignModelRegistered(ModelRecord Model, ClipDirectorySummary Summary, bool AlreadyRegistered);

/// <summary>The outcome of registering an HF LLaVA directory (see <see cref="ForeignModelRegistration.RegisterLlavaAsync"/>).</summary>
public sealed record ForeignLlavaRegistered(ModelRecord Model, LlavaDirectorySummary Summary, bool AlreadyRegistered);

/// <summary>The outcome of registering a diffusers Stable Diffusion pipeline directory.</summary>
public sealed record ForeignDiffusionRegistered(ModelRecord Model, StableDiffusionDirectorySummary Summary, bool AlreadyRegistered);

/// <summary>
/// Registers a checkpoint brought from outside (today: HF CLIPModel directories): inspect everything first, so a
/// broken or foreign directory is refused before a byte is stored; then store the files a load reads and register
/// the model with its lineage. The id derives from the stored content: the same files under another name return the
/// model already registered.
/// </summary>
public static class ForeignModelRegistration
{
    public static async Task<ForeignModelRegistered> RegisterClipAsync(ArtefactStore store, RegistryStore registry, string directory,
        string? name, CancellationToken ct = default, Action<string>? progress = null)
    {
        directory = Path.GetFullPath(directory);
        var summary = ClipDirectory.Inspect(directory);
        var (record, existed) = await StoreAndRegisterAsync(store, registry, directory, name, summary.Architecture, summary.Files,
            "clip-hf", ModelFamily.Clip, () => Spec(summary, directory).ToJsonString(), progress, ct);
        return new ForeignModelRegistered(record, summary, existed);
    }

    /// <summary>An HF LlavaForConditionalGeneration directory, the same road as a CLIP's: inspected first, then its files
    /// stored and the model registered as family vlm (architecture llava in its spec).</summary>
    public static async Task<ForeignLlavaRegistered> RegisterLlavaAsync(ArtefactStore store, RegistryStore registry, string directory,
        string? name, CancellationToken ct = default, Action<string>? progress = null)
    {
        directory = Path.GetFullPath(directory);
        var summary = LlavaDirectory.Inspect(directory);
        var (record, existed) = await StoreAndRegisterAsync(store, registry, directory, name, summary.Architecture, summary.Files,
            "llava-hf", ModelFamily.Vlm, () => LlavaSpec.Of(summary, directory).ToJsonString(), progress, ct);
        return new ForeignLlavaRegistered(record, summary, existed);
    }

    /// <summary>A diffusers StableDiffusionPipeline / StableDiffusionXLPipeline directory, the same road: the whole
    /// directory inspected first (<see cref="StableDiffusionDirectory.Inspect"/>), then the files a load reads stored as
    /// one folder artefact and the model registered as family diffusion (architecture stable-diffusion or
    /// stable-diffusion-xl). The U-Net's keys are checked when it loads, not here.</summary>
    public static async Task<ForeignDiffusionRegistered> RegisterDiffusionAsync(ArtefactStore store, RegistryStore registry, string directory,
        string? name, CancellationToken ct = default, Action<string>? progress = null)
    {
        directory = Path.GetFullPath(directory);
        var summary = StableDiffusionDirectory.Inspect(directory);
        var (record, existed) = await StoreAndRegisterAsync(store, registry, directory, name, summary.Architecture, summary.Files,
            summary.IsXl ? "sdxl-hf" : "sd-hf", ModelFamily.Diffusion, () => DiffusionSpec(summary, directory).ToJsonString(), progress, ct);
        return new ForeignDiffusionRegistered(record, summary, existed);
    }

    static JsonObject DiffusionSpec(StableDiffusionDirectorySummary s, string directory)
    {
        var encoders = new JsonArray();
        foreach (var (e, i) in s.TextEncoders.Select((e, i) => (e, i)))
            encoders.Add(new JsonObject
            {
                ["folder"] = Path.GetFileName(e.Directory), ["class"] = e.Config.ProjectionDim is null ? "CLIPTextModel" : "CLIPTextModelWithProjection",
                ["hidden_size"] = e.Config.Text.Tower.HiddenSize, ["layers"] = e.Config.Text.Tower.NumLayers, ["heads"] = e.Config.Text.Tower.NumHeads,
                ["vocab_size"] = e.Config.Text.VocabSize, ["projection_dim"] = e.Config.ProjectionDim, ["variant"] = e.Variant,
                ["max_length"] = s.Tokenizers[i].MaxLength, ["pad_id"] = s.Tokenizers[i].PadId,
            });
        return new JsonObject
        {
            ["source"] = "diffusers-directory",
            ["source_dir"] = directory,
            ["family"] = "diffusion",
            ["architecture"] = s.Architecture,
            ["pipeline_class"] = s.PipelineClass,
            ["weight_bytes"] = s.WeightBytes,
            ["files"] = new JsonArray(s.Files.Select(f => (JsonNode?)f).ToArray()),
            ["ignored_components"] = new JsonArray(s.Ignored.Select(f => (JsonNode?)f).ToArray()),
            ["config"] = new JsonObject
            {
                ["text_encoders"] = encoders,
                ["unet"] = new JsonObject
                {
                    ["in_channels"] = s.Unet.InChannels, ["sample_size"] = s.Unet.SampleSize,
                    ["cross_attention_dim"] = new JsonArray(s.Unet.CrossAttentionDims.Select(d => (JsonNode?)d).ToArray()),
                    ["addition_embed_type"] = s.Unet.AdditionEmbedType, ["variant"] = s.UnetVariant,
                },
                ["vae"] = new JsonObject
                {
                    ["block_out_channels"] = new JsonArray(s.Vae.BlockOutChannels.Select(d => (JsonNode?)d).ToArray()),
                    ["latent_channels"] = s.Vae.LatentChannels, ["scaling_factor"] = s.Vae.ScalingFactor, ["variant"] = s.VaeVariant,
                },
                ["scheduler"] = new JsonObject
                {
                    ["stored_class"] = s.SchedulerClass, ["class"] = s.Scheduler.ClassName, ["prediction_type"] = s.Scheduler.PredictionType,
                    ["timestep_spacing"] = s.Scheduler.TimestepSpacing,
                },
                ["force_zeros_for_empty_prompt"] = s.ForceZerosForEmptyPrompt,
            },
        };
    }

    /// <summary>The road after a directory's inspection: its name checked before anything is stored (so a refusal
    /// leaves nothing new), its files stored, the model registered under id PREFIX-&lt;manifest hash&gt;.</summary>
    static async Task<(ModelRecord Record, bool Existed)> StoreAndRegisterAsync(ArtefactStore store, RegistryStore registry, string directory,
        string? name, string architecture, IReadOnlyList<string> files, string idPrefix, ModelFamily family, Func<string> specJson,
        Action<string>? progress, CancellationToken ct)
    {
        progress?.Invoke($"checked {directory}: {architecture}");
        name ??= Path.GetFileName(directory.TrimEnd(Path.DirectorySeparatorChar));
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException($"{directory}: pass --name (the directory gives none)");
        if (await registry.Models.GetByNameAsync(name, ct: ct) is { } taken)
            throw new RegistryConflictException($"a model named '{name}' is already registered ({taken.Id}); use that id or pass another --name");

        var bytes = files.Sum(f => new FileInfo(Path.Combine(directory, f)).Length);
        progress?.Invoke($"storing {files.Count} files ({bytes / 1e6:F1} MB) in the artefact store");
        var manifest = await store.PutFilesAsync(directory, files.Select(f => Path.Combine(directory, f)), ct);
        var id = $"{idPrefix}-{manifest.Sha256[..12]}";
        var existing = await registry.Models.GetAsync(id, ct);
        var record = await ModelRegistration.RegisterDirectoryFromManifestAsync(store, registry, id, name, family, manifest, specJson(), ct);
        return (record, existing is not null);
    }

    /// <summary>The lineage recorded with the model: where it came from and what it is.</summary>
    static JsonObject Spec(ClipDirectorySummary s, string directory)
    {
        var (v, t) = (s.Config.Vision, s.Config.Text);
        return new JsonObject
        {
            ["source"] = "huggingface-directory",
            ["source_dir"] = directory,
            ["family"] = "clip",
            ["architecture"] = s.Architecture,
            ["parameter_count"] = s.ParameterCount,
            ["weight_bytes"] = s.Weights.DataBytes,
            ["dtypes"] = new JsonObject(s.TensorsByDType.OrderBy(kv => kv.Key).Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
            ["shard_count"] = s.Weights.Shards.Count,
            ["files"] = new JsonArray(s.Files.Select(f => (JsonNode?)f).ToArray()),
            ["tokenizer"] = s.Tokenizer,
            ["preprocessor_config"] = s.HasPreprocessorConfig,
            ["config"] = new JsonObject
            {
                ["projection_dim"] = s.Config.ProjectionDim,
                ["vision"] = new JsonObject
                {
                    ["hidden_size"] = v.Tower.HiddenSize, ["layers"] = v.Tower.NumLayers, ["heads"] = v.Tower.NumHeads,
                    ["intermediate_size"] = v.Tower.IntermediateSize, ["hidden_act"] = v.Tower.HiddenAct,
                    ["image_size"] = v.ImageSize, ["patch_size"] = v.PatchSize,
                },
                ["text"] = new JsonObject
                {
                    ["hidden_size"] = t.Tower.HiddenSize, ["layers"] = t.Tower.NumLayers, ["heads"] = t.Tower.NumHeads,
                    ["intermediate_size"] = t.Tower.IntermediateSize, ["hidden_act"] = t.Tower.HiddenAct,
                    ["vocab_size"] = t.VocabSize, ["max_positions"] = t.MaxPositions,
                },
            },
        };
    }
}
