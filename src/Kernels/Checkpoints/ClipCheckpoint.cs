using MMInterp.Kernels.IO;
using MMInterp.Kernels.Models.Clip;
using MMInterp.Kernels.Tensors;
using MMInterp.Kernels.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Checkpoints;

/// <summary>A loaded CLIP: model plus tokenizer (null when the directory has no vocab.json/merges.txt).</summary>
public sealed record LoadedClip(ClipModel Model, ClipBpeTokenizer? Tokenizer, string Directory);

/// <summary>HF-format CLIP directories: config.json, model.safetensors or index + shards (fp32/fp16/bf16), and
/// vocab.json + merges.txt or tokenizer.json. <see cref="ClipDirectory.Inspect"/> checks one without loading it.</summary>
public static class ClipCheckpoint
{
    public const string WeightsFile = HfWeightFiles.SingleFile;
    public const string ConfigFile = ClipDirectory.ConfigFile;

    /// <summary>Loads a directory written by HF save_pretrained (safetensors) or by <see cref="Save"/>. The weights
    /// stream into the constructed model tensor by tensor (see <see cref="StreamingWeights"/>); floats become fp32.</summary>
    public static LoadedClip Load(string directory, Device? device = null)
    {
        var config = ClipDirectory.ReadConfig(directory);
        RequireMemory(config.ParameterCount, Path.Combine(directory, ConfigFile));
        var weights = HfWeightFiles.Open(directory);
        var model = TorchRuntime.Constructed(() => new ClipModel(config));
        try
        {
            StreamingWeights.Load(model, weights.Shards, weights.IndexPath ?? weights.Shards[0].Path, ClipHfKeys.IsIgnoredBuffer);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        if (device is not null) model.to(device);
        model.eval();
        return new LoadedClip(model, ClipDirectory.ReadTokenizer(directory)?.Tokenizer, directory);
    }

    /// <summary>Refuses, before anything is allocated, a config whose fp32 weights cannot fit in this machine's memory.</summary>
    public static void RequireMemory(double parameters, string configPath)
    {
        if (MemoryBudget.Exceeds(parameters * sizeof(float), "weights") is { } problem)
            throw new InvalidDataException($"{configPath}: config {problem}");
    }

    /// <summary>Copies every parameter from one safetensors file, checking that no key is missing, unexpected or mis-shaped.</summary>
    public static void LoadWeights(nn.Module model, string path) =>
        StreamingWeights.Load(model, [new WeightShard(path, SafeTensors.ReadHeader(path))], path, ClipHfKeys.IsIgnoredBuffer);

    /// <summary>The state dict under HF keys, as the model holds it.</summary>
    public static Dictionary<string, Tensor> StateDict(nn.Module model) =>
        model.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);

    /// <summary>Writes config.json, model.safetensors and (when given) vocab.json + merges.txt.</summary>
    public static void Save(ClipModel model, ClipBpeTokenizer? tokenizer, string directory)
    {
        Directory.CreateDirectory(directory);
        ClipConfigJson.Write(model.Config, Path.Combine(directory, ConfigFile));
        SafeTensors.Save(Path.Combine(directory, WeightsFile), StateDict(model), new Dictionary<string, string> { ["format"] = "pt" });
        tokenizer?.Save(directory);
    }
}
