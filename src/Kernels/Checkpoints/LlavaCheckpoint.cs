using MMInterp.Kernels.IO;
using MMInterp.Kernels.Images;
using MMInterp.Kernels.Models.Llava;
using MMInterp.Kernels.Tensors;
using MMInterp.Kernels.Text;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Checkpoints;

/// <summary>A loaded LLaVA with what turns an image and a question into its input (null when not loaded).</summary>
public sealed record LoadedLlava(LlavaForConditionalGeneration Model, string Directory, LlavaKeyLayout Layout, HfWeightFiles Weights,
    TextTokenizer? Tokenizer, ChatTemplate? Template, ClipImageProcessor ImageProcessor);

/// <summary>How <see cref="LlavaCheckpoint.Load"/> builds the model.</summary>
public sealed record LlavaLoadOptions
{
    /// <summary>Keep a bf16/fp16 decoder and projector in their dtype (computed in fp32 all the same). False: fp32.</summary>
    public bool KeepStoredDType { get; init; } = true;
    /// <summary>Read the tokeniser and chat template (a missing tokeniser is then an error).</summary>
    public bool LoadTokenizer { get; init; } = true;
}

/// <summary>
/// HF LlavaForConditionalGeneration directories: config.json (vision_config + text_config), model.safetensors or the
/// sharded index, in either key layout (<see cref="LlavaKeyLayout"/>), the tokeniser files and
/// preprocessor_config.json. Keys, shapes and dtype classes are checked from the headers before anything is read;
/// each tensor is checked finite as it lands. Every problem is one line naming the file and the tensor or field.
/// </summary>
public static class LlavaCheckpoint
{
    public const string ConfigFile = "config.json";

    public static LoadedLlava Load(string directory, LlavaLoadOptions? options = null)
    {
        options ??= new LlavaLoadOptions();
        var config = ReadConfig(directory);
        var weights = HfWeightFiles.Open(directory);
        var layout = LlavaHfKeys.Detect(weights.Entries.Select(x => x.Entry.Name));
        var dtype = options.KeepStoredDType ? StorageDType(weights, layout) : ScalarType.Float32;
        var bytes = config.Vision.ParameterCount * 4 + (config.ParameterCount - config.Vision.ParameterCount) * (dtype == ScalarType.Float32 ? 4 : 2);
        if (MemoryBudget.Exceeds(bytes, "weights") is { } problem) throw new InvalidDataException($"{Path.Combine(directory, ConfigFile)}: config {problem}");
        // Before the weights: a missing tokeniser should not cost a multi-GB read first.
        var tokenizer = options.LoadTokenizer ? TokenizerDirectory.Load(directory) : null;
        var template = tokenizer is null ? null : ChatTemplate.FromDirectory(directory, tokenizer);
        if (tokenizer is not null) CheckTokenizer(config, tokenizer, directory);
        var processor = ImageProcessor(directory, config);
        var model = TorchRuntime.Constructed(() => new LlavaForConditionalGeneration(config, dtype, initialise: false));
        try
        {
            LoadWeights(model, weights, layout);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        model.eval();
        return new LoadedLlava(model, directory, layout, weights, tokenizer, template, processor);
    }

    /// <summary>config.json as a LlavaConfig, or a line saying what is wrong.</summary>
    public static LlavaConfig ReadConfig(string directory)
    {
        if (!System.IO.Directory.Exists(directory)) throw new DirectoryNotFoundException($"model directory not found: {directory}");
        return LlavaConfigJson.Read(Path.Combine(directory, ConfigFile));
    }

    /// <summary>Checks keys and shapes in the file's own layout (errors name the stored keys), then streams the weights in.</summary>
    public static void LoadWeights(LlavaForConditionalGeneration model, HfWeightFiles weights, LlavaKeyLayout layout)
    {
        var source = weights.IndexPath ?? weights.Shards[0].Path;
        var tied = model.Config.Text.TieWordEmbeddings;
        bool Ignored(string key) => LlavaHfKeys.IsIgnored(LlavaHfKeys.ToModel(key, layout), tied);
        var expected = model.named_parameters().ToDictionary(p => LlavaHfKeys.ToFile(p.name, layout), p => p.parameter.shape);
        StreamingWeights.CheckKeys(expected, weights.Entries.Where(x => !Ignored(x.Entry.Name)).Select(x => (x.Entry.Name, x.Entry.Shape)), source);
        StreamingWeights.Load(model, weights.Shards, source, Ignored, key => LlavaHfKeys.ToModel(key, layout));
    }

    /// <summary>BFloat16 or Float16 when every float weight of the decoder and projector is stored so, else Float32.</summary>
    public static ScalarType StorageDType(HfWeightFiles weights, LlavaKeyLayout layout)
    {
        var kinds = weights.Entries.Where(x => !LlavaHfKeys.ToModel(x.Entry.Name, layout).StartsWith("vision_tower.", StringComparison.Ordinal)
                                               && WeightChecks.IsFloatDType(x.Entry.DType))
            .Select(x => x.Entry.DType).Distinct().ToList();
        return kinds switch { ["BF16"] => ScalarType.BFloat16, ["F16"] => ScalarType.Float16, _ => ScalarType.Float32 };
    }

    /// <summary>preprocessor_config.json (CLIPImageProcessor) when present; else CLIP's defaults at the tower's image size.</summary>
    public static ClipImageProcessor ImageProcessor(string directory, LlavaConfig config)
    {
        var path = Path.Combine(directory, ClipImageProcessor.FileName);
        var processor = File.Exists(path)
            ? new ClipImageProcessor(ClipPreprocessorConfig.Load(path))
            : new ClipImageProcessor(new ClipPreprocessorConfig
            {
                Size = ResizeTarget.Shortest(config.Vision.ImageSize),
                CropSize = (config.Vision.ImageSize, config.Vision.ImageSize),
            });
        if (processor.OutputSize != config.Vision.ImageSize)
            throw new InvalidDataException($"{path}: gives {processor.OutputSize}px images but vision_config.image_size is {config.Vision.ImageSize}");
        return processor;
    }

    /// <summary>The tokeniser fits the decoder's vocabulary and names the config's image token.</summary>
    public static void CheckTokenizer(LlavaConfig config, TextTokenizer tokenizer, string directory)
    {
        if (tokenizer.VocabSize > config.Text.VocabSize)
            throw new InvalidDataException($"{directory}: the tokeniser's ids reach {tokenizer.VocabSize - 1} but text_config.vocab_size is {config.Text.VocabSize}");
        if (tokenizer.ImageTokenId is int id && id != config.ImageTokenId)
            throw new InvalidDataException($"{directory}: the tokeniser's image token {tokenizer.ImageToken} is id {id} but config.json's image token id is {config.ImageTokenId}");
    }

    /// <summary>Writes config.json and the weights in a layout (one model.safetensors, or shards with the index), as
    /// HF's save_pretrained does; a tied head is not written.</summary>
    public static void Save(LlavaForConditionalGeneration model, string directory, LlavaKeyLayout layout = LlavaKeyLayout.Older, int shards = 1)
    {
        System.IO.Directory.CreateDirectory(directory);
        LlavaConfigJson.Write(model.Config, Path.Combine(directory, ConfigFile), layout == LlavaKeyLayout.Newer);
        var state = model.named_parameters().ToDictionary(p => LlavaHfKeys.ToFile(p.name, layout), p => (Tensor)p.parameter);
        if (shards == 1) SafeTensors.Save(Path.Combine(directory, HfWeightFiles.SingleFile), state, new Dictionary<string, string> { ["format"] = "pt" });
        else HfShardedWriter.Write(directory, state, shards);
    }
}
