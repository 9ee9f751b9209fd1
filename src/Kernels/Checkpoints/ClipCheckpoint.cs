using MMInterp.Kernels.IO;
using MMInterp.Kernels.Models.Clip;
using MMInterp.Kernels.Tensors;
using MMInterp.Kernels.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Checkpoints;

/// <summary>A loaded CLIP: model plus tokenizer (null when the directory has no vocab.json/merges.txt).</summary>
public sealed record LoadedClip(ClipModel Model, ClipBpeTokenizer? Tokenizer, string Directory);

/// <summary>HF-format CLIP directories: config.json, model.safetensors, vocab.json, merges.txt.</summary>
public static class ClipCheckpoint
{
    public const string WeightsFile = "model.safetensors";
    public const string ConfigFile = "config.json";

    /// <summary>Loads a directory written by HF save_pretrained (safetensors) or by <see cref="Save"/>.</summary>
    public static LoadedClip Load(string directory, Device? device = null)
    {
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"model directory not found: {directory}");
        var config = ClipConfigJson.Read(Path.Combine(directory, ConfigFile));
        var model = TorchRuntime.Constructed(() => new ClipModel(config));
        LoadWeights(model, Path.Combine(directory, WeightsFile));
        if (device is not null) model.to(device);
        model.eval();
        var vocab = Path.Combine(directory, "vocab.json");
        var merges = Path.Combine(directory, "merges.txt");
        var tokenizer = File.Exists(vocab) && File.Exists(merges) ? ClipBpeTokenizer.FromFiles(vocab, merges) : null;
        return new LoadedClip(model, tokenizer, directory);
    }

    /// <summary>Copies every parameter from the file, checking that no key is missing, unexpected or mis-shaped.</summary>
    public static void LoadWeights(nn.Module model, string path)
    {
        using var scope = NewDisposeScope();
        var tensors = SafeTensors.Load(path).Tensors;
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var missing = parameters.Keys.Where(k => !tensors.ContainsKey(k)).ToList();
        if (missing.Count > 0)
            throw new InvalidDataException($"{path}: missing {missing.Count} key(s): {string.Join(", ", missing.Take(5))}{(missing.Count > 5 ? ", ..." : "")}");
        // HF writes position_ids buffers in older checkpoints; they are recomputed here.
        var unexpected = tensors.Keys.Where(k => !parameters.ContainsKey(k) && !k.EndsWith(".position_ids", StringComparison.Ordinal)).ToList();
        if (unexpected.Count > 0)
            throw new InvalidDataException($"{path}: unexpected key(s) not in the model: {string.Join(", ", unexpected.Take(5))}{(unexpected.Count > 5 ? ", ..." : "")}");
        using (no_grad())
        {
            foreach (var (name, p) in parameters)
            {
                var source = tensors[name];
                if (!source.shape.SequenceEqual(p.shape))
                    throw new InvalidDataException($"{path}: key '{name}' has shape [{string.Join(",", source.shape)}] but the model expects [{string.Join(",", p.shape)}]");
                p.copy_(source);
            }
        }
    }

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
