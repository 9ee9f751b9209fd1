using System.Text.Json;
using MMInterp.Kernels.IO;
using MMInterp.Kernels.Models.Diffusion;
using MMInterp.Kernels.Tensors;
using TorchSharp;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Checkpoints;

/// <summary>A diffusion zoo directory: diffusion.json (zoo config + text width), denoiser.safetensors,
/// classifier.safetensors and text_encoder/ (the frozen CLIP in HF layout, with its tokenizer).</summary>
public static class DiffusionCheckpoint
{
    public const string ConfigFile = "diffusion.json";
    public const string DenoiserFile = "denoiser.safetensors";
    public const string ClassifierFile = "classifier.safetensors";
    public const string TextEncoderDirectory = "text_encoder";

    sealed record Header(DiffusionZooConfig Config, int TextWidth);

    public static IReadOnlyList<string> Save(DiffusionBundle bundle, string directory)
    {
        Directory.CreateDirectory(directory);
        var files = new List<string>
        {
            Path.Combine(directory, ConfigFile), Path.Combine(directory, DenoiserFile), Path.Combine(directory, ClassifierFile),
        };
        File.WriteAllText(files[0], JsonSerializer.Serialize(new Header(bundle.Config, bundle.Text.Width), new JsonSerializerOptions { WriteIndented = true }));
        SafeTensors.Save(files[1], ClipCheckpoint.StateDict(bundle.Denoiser));
        SafeTensors.Save(files[2], ClipCheckpoint.StateDict(bundle.Classifier));
        ClipCheckpoint.Save(bundle.Text.Clip, bundle.Text.Tokenizer, Path.Combine(directory, TextEncoderDirectory));
        return files;
    }

    public static DiffusionBundle Load(string directory, Device? device = null)
    {
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"diffusion model directory not found: {directory}");
        if (StableDiffusionDirectory.IsPipelineDirectory(directory))
            throw new NotSupportedException($"{directory}: a diffusers Stable Diffusion pipeline; the zoo's diffusion extraction and analyses do not read it (StableDiffusionPipeline samples it)");
        var configPath = Path.Combine(directory, ConfigFile);
        if (!File.Exists(configPath)) throw new FileNotFoundException($"'{directory}' is not a diffusion model: it has no {ConfigFile}", configPath);
        Header header;
        try { header = JsonSerializer.Deserialize<Header>(File.ReadAllText(configPath)) ?? throw new InvalidDataException("empty"); }
        catch (JsonException e) { throw new InvalidDataException($"'{configPath}': not a valid diffusion config: {e.Message}"); }
        DiffusionZooConfig config;
        try { config = (header.Config ?? throw new InvalidDataException($"'{configPath}': no zoo config")).Validate(); }
        catch (ArgumentException e) { throw new InvalidDataException($"'{configPath}': {JsonFiles.Reason(e)}", e); }
        ClipCheckpoint.RequireMemory(config.DenoiserParameterFloor, configPath);
        var clip = ClipCheckpoint.Load(Path.Combine(directory, TextEncoderDirectory), device);
        if (clip.Tokenizer is null) throw new InvalidDataException($"'{directory}/{TextEncoderDirectory}' has no tokenizer (vocab.json, merges.txt)");
        var denoiser = TorchRuntime.Constructed(() => new DiffusionTransformer(config.ModelConfig(header.TextWidth)));
        ClipCheckpoint.LoadWeights(denoiser, Path.Combine(directory, DenoiserFile));
        var classifier = TorchRuntime.Constructed(() => new AttributeClassifier(config.ImageSize));
        ClipCheckpoint.LoadWeights(classifier, Path.Combine(directory, ClassifierFile));
        if (device is not null) { denoiser.to(device); classifier.to(device); }
        denoiser.eval();
        classifier.eval();
        return new DiffusionBundle(denoiser, new TextConditioner(clip.Model, clip.Tokenizer, config.ContextLength), classifier, config);
    }
}
