using MMInterp.Kernels.IO;
using MMInterp.Kernels.Models.StableDiffusion;
using MMInterp.Kernels.Tensors;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Checkpoints;

/// <summary>A loaded autoencoder and the weight files it came from.</summary>
public sealed record LoadedAutoencoderKl(AutoencoderKl Model, string Directory, HfWeightFiles Weights);

/// <summary>
/// A diffusers vae/ directory: config.json and diffusion_pytorch_model.safetensors (or its fp16 variant
/// diffusion_pytorch_model.fp16.safetensors, or either sharded with its .index.json). Keys, shapes and dtype classes
/// are checked from the headers before anything is read (the mid-block attention under its current or its pre-0.14
/// names, <see cref="VaeAttentionNames"/>); weights then stream in as float32, each checked finite. Every problem is
/// one line naming the file and the key.
/// </summary>
public static class AutoencoderKlCheckpoint
{
    public const string ConfigFile = "config.json";
    public const string WeightsFile = "diffusion_pytorch_model.safetensors";
    public const string Fp16WeightsFile = "diffusion_pytorch_model.fp16.safetensors";

    /// <param name="variant">null: the plain file, else the fp16 one when that is all there is; "fp16": the fp16 file</param>
    public static LoadedAutoencoderKl Load(string directory, string? variant = null)
    {
        if (!System.IO.Directory.Exists(directory)) throw new DirectoryNotFoundException($"autoencoder directory not found: {directory}");
        if (variant is not (null or "fp16")) throw new ArgumentException($"variant '{variant}' is not supported (null or fp16)", nameof(variant));
        var configPath = Path.Combine(directory, ConfigFile);
        var config = AutoencoderKlConfigJson.Read(configPath);
        if (MemoryBudget.Exceeds(config.ParameterCount * 4, "weights") is { } problem) throw new InvalidDataException($"{configPath}: config {problem}");
        var weights = Weights(directory, variant);
        var model = TorchRuntime.Constructed(() => new AutoencoderKl(config));
        try
        {
            StreamingWeights.Load(model, weights.Shards, weights.IndexPath ?? weights.Shards[0].Path, rename: VaeAttentionNames.Current);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        model.eval();
        return new LoadedAutoencoderKl(model, directory, weights);
    }

    // diffusers names a sharded fp16 index diffusion_pytorch_model.safetensors.index.fp16.json; the older
    // .fp16.safetensors.index.json is read too (DiffusersWeights).
    static HfWeightFiles Weights(string directory, string? variant) =>
        DiffusersWeights.Open(directory, DiffusersWeights.DiffusersStem, variant).Weights;

    /// <summary>Writes config.json and the weights under diffusers' current names (fp16: the .fp16 variant, stored as F16).</summary>
    public static void Save(AutoencoderKl model, string directory, bool fp16 = false)
    {
        Directory.CreateDirectory(directory);
        AutoencoderKlConfigJson.Write(model.Config, Path.Combine(directory, ConfigFile));
        using var scope = NewDisposeScope();
        var state = model.named_parameters().ToDictionary(p => p.name, p => fp16 ? p.parameter.to(ScalarType.Float16) : (Tensor)p.parameter);
        SafeTensors.Save(Path.Combine(directory, fp16 ? Fp16WeightsFile : WeightsFile), state, new Dictionary<string, string> { ["format"] = "pt" });
    }
}
