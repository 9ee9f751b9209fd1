using System.Text.Json;
using TorchSharp;
using MMInterp.Kernels.IO;
using MMInterp.Kernels.Models.Vlm;
using MMInterp.Kernels.Tensors;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Checkpoints;

/// <summary>A loaded VLM: model, vocabulary and the directory it came from.</summary>
public sealed record LoadedVlm(VlmModel Model, VlmVocabulary Vocabulary, string Directory);

/// <summary>VLM directories: vlm_config.json (the <see cref="VlmConfig"/> record), model.safetensors, vocab.json.</summary>
public static class VlmCheckpoint
{
    public const string ConfigFile = "vlm_config.json";
    public const string WeightsFile = "model.safetensors";
    static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static void Save(VlmModel model, VlmVocabulary vocabulary, string directory)
    {
        if (vocabulary.Count != model.Config.VocabSize)
            throw new ArgumentException($"vocabulary has {vocabulary.Count} tokens but the model {model.Config.VocabSize}");
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, ConfigFile), JsonSerializer.Serialize(model.Config, Json));
        SafeTensors.Save(Path.Combine(directory, WeightsFile), ClipCheckpoint.StateDict(model), new Dictionary<string, string> { ["format"] = "pt" });
        vocabulary.Save(directory);
    }

    public static bool IsVlmDirectory(string directory) => File.Exists(Path.Combine(directory, ConfigFile));

    public static LoadedVlm Load(string directory, Device? device = null)
    {
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"model directory not found: {directory}");
        var configPath = Path.Combine(directory, ConfigFile);
        if (!File.Exists(configPath)) throw new FileNotFoundException($"{directory} is not a VLM directory: {ConfigFile} is missing");
        VlmConfig config;
        try { config = (JsonSerializer.Deserialize<VlmConfig>(File.ReadAllText(configPath)) ?? throw new InvalidDataException($"{configPath} is empty")).Validate(); }
        catch (JsonException e) { throw new InvalidDataException($"{configPath}: not a valid VLM config ({e.Message})"); }
        catch (ArgumentException e) { throw new InvalidDataException($"{configPath}: {JsonFiles.Reason(e)}"); }
        ClipCheckpoint.RequireMemory(config.ParameterCount, configPath);
        var vocabulary = VlmVocabulary.Load(directory);
        if (vocabulary.Count != config.VocabSize)
            throw new InvalidDataException($"{directory}: vocab.json has {vocabulary.Count} tokens but the config says {config.VocabSize}");
        var model = TorchRuntime.Constructed(() => new VlmModel(config));
        ClipCheckpoint.LoadWeights(model, Path.Combine(directory, WeightsFile));
        if (device is not null) model.to(device);
        model.eval();
        return new LoadedVlm(model, vocabulary, directory);
    }
}
