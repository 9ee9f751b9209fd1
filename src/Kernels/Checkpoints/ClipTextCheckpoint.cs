using MMInterp.Kernels.IO;
using MMInterp.Kernels.Models.Clip;
using MMInterp.Kernels.Tensors;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Checkpoints;

/// <summary>What <see cref="ClipTextCheckpoint.Inspect"/> found in a text_encoder/ folder.</summary>
public sealed record ClipTextDirectorySummary(string Directory, ClipTextModelConfig Config, HfWeightFiles Weights, string? Variant)
{
    public IEnumerable<string> Files => DiffusersWeights.Files(Weights).Prepend(ClipTextCheckpoint.ConfigFile);
}

/// <summary>
/// A diffusers pipeline's text_encoder/ or text_encoder_2/ folder: config.json (HF CLIPTextConfig) and model.safetensors
/// (or the fp16 variant, or sharded; <see cref="DiffusersWeights"/>). Only the text tower: such a folder has no vision
/// config. Keys and shapes are checked from the headers before anything is read (<see cref="Inspect"/>); a load then
/// streams the weights into float32.
/// </summary>
public static class ClipTextCheckpoint
{
    public const string ConfigFile = "config.json";

    static readonly string[] FloatDTypes = ["F32", "F16", "BF16", "F64"];

    public static ClipTextDirectorySummary Inspect(string directory, string className)
    {
        if (!System.IO.Directory.Exists(directory)) throw new DirectoryNotFoundException($"text encoder directory not found: {directory}");
        var config = ClipTextConfigJson.Read(Path.Combine(directory, ConfigFile), className);
        var (weights, variant) = DiffusersWeights.Open(directory, DiffusersWeights.TransformersStem);
        var entries = weights.Entries.Where(x => !ClipHfKeys.IsIgnoredBuffer(x.Entry.Name)).ToList();
        StreamingWeights.CheckKeys(ClipHfKeys.ExpectedText(config), entries.Select(x => (x.Entry.Name, x.Entry.Shape)), weights.IndexPath ?? weights.Shards[0].Path);
        if (entries.FirstOrDefault(x => !FloatDTypes.Contains(x.Entry.DType)) is { Entry: not null } bad)
            throw new InvalidDataException($"{bad.Shard.Path}: tensor '{bad.Entry.Name}' is {bad.Entry.DType}; weights must be F32, F16, BF16 or F64");
        return new ClipTextDirectorySummary(directory, config, weights, variant);
    }

    public static ClipTextModel Load(string directory, string className)
    {
        var summary = Inspect(directory, className);
        if (MemoryBudget.Exceeds(summary.Config.ParameterCount * sizeof(float), "weights") is { } problem)
            throw new InvalidDataException($"{Path.Combine(directory, ConfigFile)}: config {problem}");
        var model = TorchRuntime.Constructed(() => new ClipTextModel(summary.Config));
        try
        {
            StreamingWeights.Load(model, summary.Weights.Shards, summary.Weights.IndexPath ?? summary.Weights.Shards[0].Path, ClipHfKeys.IsIgnoredBuffer);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        model.eval();
        return model;
    }

    /// <summary>Writes config.json and model.safetensors (fp16: model.fp16.safetensors, stored as F16).</summary>
    public static void Save(ClipTextModel model, string directory, bool fp16 = false)
    {
        System.IO.Directory.CreateDirectory(directory);
        ClipTextConfigJson.Write(model.Config, Path.Combine(directory, ConfigFile));
        using var scope = NewDisposeScope();
        var state = model.named_parameters().ToDictionary(p => p.name, p => fp16 ? p.parameter.to(ScalarType.Float16) : (Tensor)p.parameter);
        SafeTensors.Save(Path.Combine(directory, fp16 ? "model.fp16.safetensors" : "model.safetensors"), state, new Dictionary<string, string> { ["format"] = "pt" });
    }
}
