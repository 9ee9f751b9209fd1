using MMInterp.Kernels.Hooks;
using MMInterp.Kernels.IO;
using MMInterp.Kernels.Models.StableDiffusion;
using MMInterp.Kernels.Tensors;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Checkpoints;

/// <summary>A loaded U-Net and the files it came from.</summary>
public sealed record LoadedUNet(UNet2DConditionModel Model, string Directory, HfWeightFiles Weights);

/// <summary>
/// diffusers unet/ directories: config.json with diffusion_pytorch_model.safetensors, its fp16 variant
/// (diffusion_pytorch_model.fp16.safetensors), or shards listed by diffusion_pytorch_model.safetensors.index.json
/// (variant: .safetensors.index.fp16.json). Keys, shapes and dtype classes are checked from the headers before anything
/// is read; weights then stream in tensor by tensor, each checked finite. F16/BF16 weights are widened to float32
/// (the convolutions and GroupNorms compute in float32 on the CPU). Every problem is one line naming the file.
/// </summary>
public static class UNetCheckpoint
{
    public const string ConfigFile = "config.json";
    public const string Stem = "diffusion_pytorch_model";

    public static string SingleFile(string? variant) => variant is null ? $"{Stem}.safetensors" : $"{Stem}.{variant}.safetensors";
    public static string IndexFile(string? variant) => variant is null ? $"{Stem}.safetensors.index.json" : $"{Stem}.safetensors.index.{variant}.json";

    /// <param name="variant">null: the plain files, else diffusers' variant ("fp16"); with null and no plain weights,
    /// a directory holding only the fp16 variant loads that (as downloaded with variant="fp16"); found by
    /// <see cref="DiffusersWeights"/>, as the pipeline's other components are</param>
    public static LoadedUNet Load(string directory, string? variant = null, HookRegistry? hooks = null, string hookPrefix = "unet")
    {
        if (!System.IO.Directory.Exists(directory)) throw new DirectoryNotFoundException($"U-Net directory not found: {directory}");
        var config = UNetConfigJson.Read(Path.Combine(directory, ConfigFile));
        var weights = DiffusersWeights.Open(directory, Stem, variant).Weights;
        var bytes = weights.Entries.Sum(x => (double)x.Entry.Shape.Aggregate(1L, (a, d) => a * d)) * 4;
        if (MemoryBudget.Exceeds(bytes, "U-Net weights") is { } problem) throw new InvalidDataException($"{directory}: {problem}");
        var model = TorchRuntime.Constructed(() => new UNet2DConditionModel(config, hooks, hookPrefix));
        try
        {
            StreamingWeights.Load(model, weights.Shards, weights.IndexPath ?? weights.Shards[0].Path);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        model.eval();
        return new LoadedUNet(model, directory, weights);
    }

    /// <summary>Writes config.json and the weights as diffusers' save_pretrained does: one file or
    /// <paramref name="shards"/> shards with their index, converted to <paramref name="dtype"/>, named for
    /// <paramref name="variant"/>.</summary>
    public static void Save(UNet2DConditionModel model, string directory, string? variant = null, int shards = 1, ScalarType dtype = ScalarType.Float32)
    {
        Directory.CreateDirectory(directory);
        UNetConfigJson.Write(model.Config, Path.Combine(directory, ConfigFile));
        using var scope = NewDisposeScope();
        var state = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().to_type(dtype));
        if (shards == 1) SafeTensors.Save(Path.Combine(directory, SingleFile(variant)), state, new Dictionary<string, string> { ["format"] = "pt" });
        else HfShardedWriter.Write(directory, state, shards, variant is null ? Stem : $"{Stem}.{variant}", IndexFile(variant));
    }
}
