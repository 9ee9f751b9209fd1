using System.Text.Json.Nodes;
using MMInterp.Kernels.IO;
using MMInterp.Kernels.Models.StableDiffusion;
using MMInterp.Kernels.Text;
using static MMInterp.Kernels.Checkpoints.ConfigFields;

namespace MMInterp.Kernels.Checkpoints;

/// <summary>A component entry of model_index.json: folder name, library and class.</summary>
public sealed record SdComponent(string Name, string Library, string ClassName);

/// <summary>The fields of unet/config.json registration checks (the full key check happens when the U-Net loads).</summary>
public sealed record SdUNetBasics(int InChannels, int? SampleSize, IReadOnlyList<int> CrossAttentionDims, string? AdditionEmbedType,
    int AdditionTimeEmbedDim, int? ProjectionClassEmbeddingsInputDim);

/// <summary>What <see cref="StableDiffusionDirectory.Inspect"/> found in a valid diffusers pipeline directory.</summary>
public sealed record StableDiffusionDirectorySummary(
    string Directory,
    string PipelineClass,
    IReadOnlyList<SdComponent> Components,
    IReadOnlyList<string> Ignored,
    IReadOnlyList<ClipTextDirectorySummary> TextEncoders,
    IReadOnlyList<ClipPromptTokenizer> Tokenizers,
    AutoencoderKlConfig Vae,
    HfWeightFiles VaeWeights,
    string? VaeVariant,
    SdUNetBasics Unet,
    HfWeightFiles UnetWeights,
    string? UnetVariant,
    string SchedulerClass,
    SchedulerConfig Scheduler,
    bool ForceZerosForEmptyPrompt)
{
    public bool IsXl => PipelineClass == StableDiffusionDirectory.XlPipeline;

    /// <summary>"stable-diffusion" or "stable-diffusion-xl": the spec's architecture.</summary>
    public string Architecture => IsXl ? "stable-diffusion-xl" : "stable-diffusion";

    /// <summary>The files a load reads (and a registration stores), relative to <see cref="Directory"/>.</summary>
    public IReadOnlyList<string> Files
    {
        get
        {
            var files = new List<string> { StableDiffusionDirectory.IndexFile, "scheduler/" + StableDiffusionDirectory.SchedulerFile };
            string[] encoderFolders = IsXl ? ["text_encoder", "text_encoder_2"] : ["text_encoder"];
            for (var i = 0; i < TextEncoders.Count; i++) files.AddRange(TextEncoders[i].Files.Select(f => $"{encoderFolders[i]}/{f}"));
            foreach (var folder in IsXl ? new[] { "tokenizer", "tokenizer_2" } : ["tokenizer"])
                files.AddRange(ClipPromptTokenizer.Files.Where(f => File.Exists(Path.Combine(Directory, folder, f))).Select(f => $"{folder}/{f}"));
            files.Add("vae/config.json");
            files.AddRange(DiffusersWeights.Files(VaeWeights).Select(f => $"vae/{f}"));
            files.Add("unet/config.json");
            files.AddRange(DiffusersWeights.Files(UnetWeights).Select(f => $"unet/{f}"));
            return files;
        }
    }

    /// <summary>Weight bytes over the stored components.</summary>
    public long WeightBytes => TextEncoders.Sum(t => t.Weights.DataBytes) + VaeWeights.DataBytes + UnetWeights.DataBytes;
}

/// <summary>Builds the pipeline's noise predictor from its unet/ folder (and the weights variant found there, "fp16" or
/// null): <see cref="StableDiffusionDirectory.DenoiserLoader"/> is <see cref="UNetCheckpoint.Load"/>'s
/// UNet2DConditionModel; tests pass closed-form ones.</summary>
public delegate ISdDenoiser SdDenoiserLoader(string unetDirectory, string? variant);

/// <summary>
/// A diffusers Stable Diffusion (v1/v2) or SDXL base pipeline directory: model_index.json naming the components,
/// text_encoder/ (+ text_encoder_2/), tokenizer/ (+ tokenizer_2/), unet/, vae/ and scheduler/. <see cref="Inspect"/>
/// checks it whole before anything is stored or allocated: the index and each named folder, their configs, the
/// weights (plain or fp16 variant, single or sharded; the text encoders' keys and shapes from the headers), the
/// tokenisers, the scheduler config, and that the parts fit each other (latent channels, cross-attention width, SDXL's
/// added-embedding width). Each problem is one line naming the folder or file. The VAE's and U-Net's keys are checked
/// when they load. Other components (safety_checker,
/// feature_extractor, image_encoder) are neither read nor stored.
/// </summary>
public static class StableDiffusionDirectory
{
    public const string IndexFile = "model_index.json", SchedulerFile = "scheduler_config.json";
    public const string Pipeline = "StableDiffusionPipeline", XlPipeline = "StableDiffusionXLPipeline";
    static readonly string[] Optional = ["safety_checker", "feature_extractor", "image_encoder"];
    static readonly string[] TokenizerClasses = ["CLIPTokenizer", "CLIPTokenizerFast"];

    /// <summary>The U-Net loader <see cref="Load"/> uses when none is given: diffusers' UNet2DConditionModel.</summary>
    public static SdDenoiserLoader DenoiserLoader { get; } = (dir, variant) => UNetCheckpoint.Load(dir, variant).Model;

    public static bool IsPipelineDirectory(string directory) => File.Exists(Path.Combine(directory, IndexFile));

    public static StableDiffusionDirectorySummary Inspect(string directory)
    {
        if (!System.IO.Directory.Exists(directory)) throw new DirectoryNotFoundException($"pipeline directory not found: {directory}");
        var indexPath = Path.Combine(directory, IndexFile);
        if (!File.Exists(indexPath)) throw new FileNotFoundException($"{directory}: no {IndexFile} (not a diffusers pipeline directory)", indexPath);
        var index = JsonFiles.ReadObject(indexPath);
        var (pipeline, components, ignored, forceZeros) = ReadIndex(index, indexPath);
        var xl = pipeline == XlPipeline;
        string Folder(string name)
        {
            var path = Path.Combine(directory, name);
            return System.IO.Directory.Exists(path) ? path
                : throw new DirectoryNotFoundException($"{path}: folder missing ({IndexFile} names component '{name}')");
        }
        SdComponent C(string name) => components.Single(c => c.Name == name);

        var encoders = (xl ? new[] { "text_encoder", "text_encoder_2" } : ["text_encoder"])
            .Select(n => ClipTextCheckpoint.Inspect(Folder(n), C(n).ClassName)).ToList();
        if (xl && encoders[1].Config.ProjectionDim is null)
            throw new InvalidDataException($"{Folder("text_encoder_2")}: SDXL's text_encoder_2 must be CLIPTextModelWithProjection");
        var tokenizers = (xl ? new[] { "tokenizer", "tokenizer_2" } : ["tokenizer"]).Select(n => ClipPromptTokenizer.Load(Folder(n))).ToList();
        for (var i = 0; i < tokenizers.Count; i++)
        {
            var (tok, text) = (tokenizers[i], encoders[i].Config.Text);
            var folder = Path.Combine(directory, i == 0 ? "tokenizer" : "tokenizer_2");
            if (tok.Bpe.VocabSize > text.VocabSize)
                throw new InvalidDataException($"{folder}: token ids reach {tok.Bpe.VocabSize - 1} but {encoders[i].Directory}/config.json's vocab_size is {text.VocabSize}");
            if (tok.MaxLength > text.MaxPositions)
                throw new InvalidDataException($"{folder}: model_max_length {tok.MaxLength} exceeds the text encoder's max_position_embeddings {text.MaxPositions}");
            if (text.EosTokenId == 2 && tok.Bpe.EndId != tok.Bpe.VocabSize - 1)
                throw new InvalidDataException($"{folder}: <|endoftext|> is id {tok.Bpe.EndId}, not the highest id, but the text encoder (eos_token_id 2) pools at the highest id");
        }

        if (xl && tokenizers[0].MaxLength != tokenizers[1].MaxLength)
            throw new InvalidDataException($"{Path.Combine(directory, "tokenizer_2")}: model_max_length {tokenizers[1].MaxLength} differs from tokenizer/'s {tokenizers[0].MaxLength}; SDXL concatenates the two encoders' states position by position");
        var vaeDir = Folder("vae");
        var vae = AutoencoderKlConfigJson.Read(Path.Combine(vaeDir, "config.json"));
        var (vaeWeights, vaeVariant) = DiffusersWeights.Open(vaeDir, DiffusersWeights.DiffusersStem);

        var unetDir = Folder("unet");
        var unet = ReadUNet(Path.Combine(unetDir, "config.json"));
        var (unetWeights, unetVariant) = DiffusersWeights.Open(unetDir, DiffusersWeights.DiffusersStem);
        var unetConfig = Path.Combine(unetDir, "config.json");
        if (unet.InChannels != vae.LatentChannels)
            throw new InvalidDataException($"{unetConfig}: in_channels {unet.InChannels} but vae/config.json's latent_channels is {vae.LatentChannels}");
        var width = encoders.Sum(e => e.Config.Text.Tower.HiddenSize);
        if (unet.CrossAttentionDims.Any(d => d != width))
            throw new InvalidDataException($"{unetConfig}: cross_attention_dim {string.Join(",", unet.CrossAttentionDims)} but the text encoder states are {width} wide{(xl ? " (both encoders concatenated)" : "")}");
        if (xl)
        {
            if (unet.AdditionEmbedType != "text_time")
                throw new InvalidDataException($"{unetConfig}: addition_embed_type is {JsonFiles.Quote(unet.AdditionEmbedType)}; SDXL's U-Net takes \"text_time\"");
            var expected = 6 * unet.AdditionTimeEmbedDim + encoders[1].Config.ProjectionDim!.Value;
            if (unet.ProjectionClassEmbeddingsInputDim != expected)
                throw new InvalidDataException($"{unetConfig}: projection_class_embeddings_input_dim {unet.ProjectionClassEmbeddingsInputDim?.ToString() ?? "missing"} but 6 time ids x addition_time_embed_dim {unet.AdditionTimeEmbedDim} + text_encoder_2's projection_dim {encoders[1].Config.ProjectionDim} = {expected}");
        }
        else if (unet.AdditionEmbedType is not null)
            throw new InvalidDataException($"{unetConfig}: addition_embed_type {JsonFiles.Quote(unet.AdditionEmbedType)} in a {Pipeline} (only SDXL's text_time is supported, in {XlPipeline})");

        var schedulerPath = Path.Combine(Folder("scheduler"), SchedulerFile);
        var (schedulerClass, scheduler) = ReadScheduler(schedulerPath, null);
        return new StableDiffusionDirectorySummary(directory, pipeline, components, ignored, encoders, tokenizers, vae, vaeWeights, vaeVariant,
            unet, unetWeights, unetVariant, schedulerClass, scheduler, forceZeros);
    }

    /// <summary>Inspects, then loads the text encoders, tokenisers, VAE and scheduler config, and the U-Net through
    /// <paramref name="denoiser"/> (default <see cref="DenoiserLoader"/>).</summary>
    /// <param name="schedulerClass">DDIMScheduler or EulerDiscreteScheduler built from the stored config (diffusers'
    /// from_config); null: the stored class when it is one of these, else DDIM</param>
    public static StableDiffusionPipeline Load(string directory, SdDenoiserLoader? denoiser = null, string? schedulerClass = null)
    {
        var s = Inspect(directory);
        var (_, scheduler) = ReadScheduler(Path.Combine(directory, "scheduler", SchedulerFile), schedulerClass);
        var parts = new List<IDisposable>();
        try
        {
            var encoders = new List<SdTextEncoder>();
            for (var i = 0; i < s.TextEncoders.Count; i++)
            {
                var e = s.TextEncoders[i];
                var model = ClipTextCheckpoint.Load(e.Directory, s.Components.Single(c => c.Name == Path.GetFileName(e.Directory)).ClassName);
                parts.Add(model);
                encoders.Add(new SdTextEncoder(model, s.Tokenizers[i]));
            }
            var vae = AutoencoderKlCheckpoint.Load(Path.Combine(directory, "vae"), s.VaeVariant).Model;
            parts.Add(vae);
            var unet = (denoiser ?? DenoiserLoader)(Path.Combine(directory, "unet"), s.UnetVariant);
            parts.Add(unet);
            return new StableDiffusionPipeline(s.IsXl, encoders, vae, scheduler, unet, s.ForceZerosForEmptyPrompt);
        }
        catch
        {
            foreach (var p in parts) p.Dispose();
            throw;
        }
    }

    /// <summary>The scheduler config as <paramref name="className"/> (diffusers' from_config: the stored fields under
    /// another class's defaults); null keeps the stored class when supported (PNDM, LMS, ... become DDIM).</summary>
    public static (string StoredClass, SchedulerConfig Config) ReadScheduler(string path, string? className)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: scheduler config missing", path);
        var root = JsonFiles.ReadObject(path);
        string stored;
        try { stored = String(root, "_class_name") ?? throw new ArgumentException("_class_name is missing (which scheduler?)"); }
        catch (ArgumentException e) { throw new InvalidDataException($"{path}: {JsonFiles.Reason(e)}"); }
        var chosen = className ?? (SchedulerConfig.Classes.Contains(stored) ? stored : SchedulerConfig.Ddim);
        if (!SchedulerConfig.Classes.Contains(chosen))
            throw new ArgumentException($"scheduler '{chosen}' is not supported (expected {string.Join(" or ", SchedulerConfig.Classes)})", nameof(className));
        root["_class_name"] = chosen;
        return (stored, SchedulerConfigJson.Read(root, path));
    }

    static (string Pipeline, List<SdComponent> Components, List<string> Ignored, bool ForceZeros) ReadIndex(JsonObject index, string path)
    {
        try
        {
            var pipeline = String(index, "_class_name") ?? throw new ArgumentException("_class_name is missing (which pipeline?)");
            if (pipeline is not (Pipeline or XlPipeline))
                throw new ArgumentException($"_class_name {JsonFiles.Quote(pipeline)} is not supported (expected {Pipeline} or {XlPipeline})");
            var xl = pipeline == XlPipeline;
            var required = new Dictionary<string, string[]>
            {
                ["text_encoder"] = [ClipTextConfigJson.TextModel], ["tokenizer"] = TokenizerClasses,
                ["unet"] = ["UNet2DConditionModel"], ["vae"] = [AutoencoderKlConfigJson.ClassName], ["scheduler"] = [],
            };
            if (xl)
            {
                required["text_encoder_2"] = [ClipTextConfigJson.WithProjection];
                required["tokenizer_2"] = TokenizerClasses;
            }
            var components = new List<SdComponent>();
            var ignored = new List<string>();
            foreach (var (name, node) in index)
            {
                if (name.StartsWith('_') || node is not JsonArray) continue;
                var entry = (JsonArray)node;
                if (entry.Count != 2) throw new ArgumentException($"component '{name}' must be [library, class], got {JsonFiles.Quote(entry)}");
                if (entry[0] is null && entry[1] is null) { if (required.ContainsKey(name)) throw new ArgumentException($"component '{name}' is null; the pipeline needs it"); continue; }
                var library = entry[0] is JsonValue l && l.TryGetValue<string>(out var ls) ? ls : throw new ArgumentException($"component '{name}' has no library name: {JsonFiles.Quote(entry)}");
                var cls = entry[1] is JsonValue c && c.TryGetValue<string>(out var cs) ? cs : throw new ArgumentException($"component '{name}' has no class name: {JsonFiles.Quote(entry)}");
                if (!required.TryGetValue(name, out var classes))
                {
                    if (!Optional.Contains(name)) throw new ArgumentException($"component '{name}' ({library}, {cls}) is not part of a {pipeline}");
                    ignored.Add(name);
                    continue;
                }
                if (classes.Length > 0 && !classes.Contains(cls))
                    throw new ArgumentException($"component '{name}' is {cls}; expected {string.Join(" or ", classes)}");
                components.Add(new SdComponent(name, library, cls));
            }
            if (required.Keys.FirstOrDefault(k => components.All(c => c.Name != k)) is { } missing)
                throw new ArgumentException($"component '{missing}' is missing; a {pipeline} needs {string.Join(", ", required.Keys)}");
            return (pipeline, components, ignored, xl && Bool(index, "force_zeros_for_empty_prompt", true));
        }
        catch (ArgumentException e) { throw new InvalidDataException($"{path}: {JsonFiles.Reason(e)}"); }
    }

    static SdUNetBasics ReadUNet(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: U-Net config missing", path);
        var root = JsonFiles.ReadObject(path);
        try
        {
            if (String(root, "_class_name") is { } cls && cls != "UNet2DConditionModel")
                throw new ArgumentException($"_class_name {JsonFiles.Quote(cls)} is not UNet2DConditionModel");
            var inChannels = Int(root, "in_channels", 4);
            if (inChannels is < 1 or > 1024) throw new ArgumentException($"in_channels must be in 1..1024, got {inChannels}");
            var sample = IntOrNull(root, "sample_size");
            if (sample is < 1 or > 1 << 14) throw new ArgumentException($"sample_size must be in 1..{1 << 14}, got {sample}");
            var cross = root["cross_attention_dim"] is null ? [1280] : IntList(root, "cross_attention_dim");
            if (cross.Count == 0 || cross.Any(d => d < 1)) throw new ArgumentException($"cross_attention_dim must be a positive integer or list of them, got {JsonFiles.Quote(root["cross_attention_dim"])}");
            return new SdUNetBasics(inChannels, sample, cross.Distinct().ToList(), String(root, "addition_embed_type"),
                Int(root, "addition_time_embed_dim", 0), IntOrNull(root, "projection_class_embeddings_input_dim"));
        }
        catch (ArgumentException e) { throw new InvalidDataException($"{path}: {JsonFiles.Reason(e)}"); }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{path}: a field has the wrong JSON type ({JsonFiles.Line(e.Message)})");
        }
    }
}
