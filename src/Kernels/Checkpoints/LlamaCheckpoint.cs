using MMInterp.Kernels.Hooks;
using MMInterp.Kernels.IO;
using MMInterp.Kernels.Models.Llm;
using MMInterp.Kernels.Tensors;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Checkpoints;

/// <summary>A loaded decoder and where it came from.</summary>
public sealed record LoadedLlama(LlamaForCausalLm Model, string Directory, HfWeightFiles Weights);

/// <summary>How <see cref="LlamaCheckpoint.Load"/> builds the model.</summary>
public sealed record LlamaLoadOptions
{
    /// <summary>Keep bf16/fp16 checkpoints in their dtype (half the memory; computed in fp32 all the same). False: fp32.</summary>
    public bool KeepStoredDType { get; init; } = true;
    /// <summary>Hook names start with this; a multimodal model passes its shared registry in <see cref="Hooks"/>.</summary>
    public string HookPrefix { get; init; } = "lm";
    public HookRegistry? Hooks { get; init; }
}

/// <summary>
/// HF LlamaForCausalLM / Qwen2ForCausalLM directories: config.json and model.safetensors, or
/// model.safetensors.index.json with its shards. Keys, shapes and dtype classes are checked from the headers before
/// anything is read; weights then stream in tensor by tensor, each checked finite. Every problem is one line naming the
/// file and the tensor.
/// </summary>
public static class LlamaCheckpoint
{
    public const string ConfigFile = "config.json";

    public static LoadedLlama Load(string directory, LlamaLoadOptions? options = null)
    {
        options ??= new LlamaLoadOptions();
        if (!System.IO.Directory.Exists(directory)) throw new DirectoryNotFoundException($"model directory not found: {directory}");
        var configPath = Path.Combine(directory, ConfigFile);
        var config = LlamaConfigJson.Read(configPath);
        var weights = HfWeightFiles.Open(directory);
        var dtype = options.KeepStoredDType ? StorageDType(weights, config) : ScalarType.Float32;
        var bytes = config.ParameterCount * (dtype == ScalarType.Float32 ? 4 : 2);
        if (MemoryBudget.Exceeds(bytes, "weights") is { } problem) throw new InvalidDataException($"{configPath}: config {problem}");
        var model = TorchRuntime.Constructed(() => new LlamaForCausalLm(config, options.Hooks, options.HookPrefix, dtype, initialise: false));
        try
        {
            LoadWeights(model, weights);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        model.eval();
        return new LoadedLlama(model, directory, weights);
    }

    /// <summary>Fills a constructed decoder from checkpoint files whose keys are the decoder's own HF names.</summary>
    public static void LoadWeights(LlamaForCausalLm model, HfWeightFiles weights) =>
        StreamingWeights.Load(model, weights.Shards, weights.IndexPath ?? weights.Shards[0].Path, key => IsIgnored(key, model.Config));

    /// <summary>
    /// Checkpoint entries that are not parameters: rotary inverse-frequency buffers some conversions saved, and
    /// lm_head.weight when the head is tied (HF ties it to embed_tokens after loading, so the stored copy is unused).
    /// </summary>
    public static bool IsIgnored(string key, LlamaConfig config) =>
        key.EndsWith("rotary_emb.inv_freq", StringComparison.Ordinal) || (config.TieWordEmbeddings && key == "lm_head.weight");

    /// <summary>BFloat16 or Float16 when every float weight is stored so, else Float32 (F32, F64 or mixed checkpoints).</summary>
    public static ScalarType StorageDType(HfWeightFiles weights, LlamaConfig config)
    {
        var kinds = weights.Entries.Where(x => !IsIgnored(x.Entry.Name, config) && WeightChecks.IsFloatDType(x.Entry.DType))
            .Select(x => x.Entry.DType).Distinct().ToList();
        return kinds switch
        {
            ["BF16"] => ScalarType.BFloat16,
            ["F16"] => ScalarType.Float16,
            _ => ScalarType.Float32,
        };
    }

    /// <summary>Writes config.json and the weights (one model.safetensors, or <paramref name="shards"/> shards with the
    /// index) as HF's save_pretrained does; a tied head is not written.</summary>
    public static void Save(LlamaForCausalLm model, string directory, int shards = 1)
    {
        Directory.CreateDirectory(directory);
        LlamaConfigJson.Write(model.Config, Path.Combine(directory, ConfigFile));
        var state = model.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
        if (shards == 1) SafeTensors.Save(Path.Combine(directory, HfWeightFiles.SingleFile), state, new Dictionary<string, string> { ["format"] = "pt" });
        else HfShardedWriter.Write(directory, state, shards);
    }
}
