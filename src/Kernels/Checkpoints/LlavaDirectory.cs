using MMInterp.Kernels.Images;
using MMInterp.Kernels.Models.Llava;
using MMInterp.Kernels.Text;

namespace MMInterp.Kernels.Checkpoints;

/// <summary>What <see cref="LlavaDirectory.Inspect"/> found in a valid HF LlavaForConditionalGeneration directory.</summary>
public sealed record LlavaDirectorySummary(
    string Directory,
    LlavaConfig Config,
    HfWeightFiles Weights,
    LlavaKeyLayout Layout,
    long ParameterCount,
    IReadOnlyDictionary<string, int> TensorsByDType,
    string Tokenizer,
    int TokenizerTokens,
    string ChatTemplate,
    bool HasPreprocessorConfig)
{
    /// <summary>Files a load reads (and a registration stores), relative to <see cref="Directory"/>.</summary>
    public IReadOnlyList<string> Files
    {
        get
        {
            var files = new List<string> { LlavaCheckpoint.ConfigFile };
            if (Weights.IndexPath is { } index) files.Add(Path.GetFileName(index));
            files.AddRange(Weights.Shards.Select(s => Path.GetFileName(s.Path)));
            files.AddRange(LlavaDirectory.SideFiles.Where(f => File.Exists(Path.Combine(Directory, f))));
            return files;
        }
    }

    /// <summary>E.g. "llava: CLIP ViT 1024x24 336px/14 (layer -2, default) -> projector gelu -> llama 4096x32 (32 heads, 32 kv), vocab 32064".</summary>
    public string Architecture
    {
        get
        {
            var (v, t) = (Config.Vision, Config.Text);
            return $"llava: CLIP ViT {v.Tower.HiddenSize}x{v.Tower.NumLayers} {v.ImageSize}px/{v.PatchSize} " +
                   $"(layer {string.Join("+", Config.VisionFeatureLayers)}, {Config.SelectStrategy}, {Config.FeaturesPerImage} image tokens) " +
                   $"-> projector {Config.ProjectorHiddenAct} -> {t.ModelType} {t.HiddenSize}x{t.NumLayers} ({t.NumHeads} heads, {t.NumKvHeads} kv), vocab {t.VocabSize}";
        }
    }
}

/// <summary>
/// Checks an HF LlavaForConditionalGeneration directory before anything is stored or allocated: config.json is a sane
/// LlavaConfig; the safetensors headers (either key layout, single or sharded) hold exactly the expected keys and
/// shapes in float dtypes; the tokeniser loads and fits the config; preprocessor_config.json, when present, fits the
/// tower. Every problem is one line naming the file.
/// </summary>
public static class LlavaDirectory
{
    /// <summary>Tokeniser, template and preprocessor files HF writes beside the weights.</summary>
    public static readonly string[] SideFiles =
    [
        "tokenizer.model", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json",
        "chat_template.json", "chat_template.jinja", "processor_config.json", ClipImageProcessor.FileName, "generation_config.json",
    ];

    /// <summary>True for a directory whose config.json says model_type llava (a zoo VLM has vlm_config.json instead).</summary>
    public static bool IsLlavaDirectory(string directory)
    {
        var path = Path.Combine(directory, LlavaCheckpoint.ConfigFile);
        if (!File.Exists(path)) return false;
        try { return IO.JsonFiles.ReadObject(path)["model_type"]?.GetValue<string>() == "llava"; }
        catch (Exception e) when (e is InvalidDataException or InvalidOperationException or FormatException) { return false; }
    }

    public static LlavaDirectorySummary Inspect(string directory)
    {
        var config = LlavaCheckpoint.ReadConfig(directory);
        var weights = HfWeightFiles.Open(directory);
        var layout = LlavaHfKeys.Detect(weights.Entries.Select(x => x.Entry.Name));
        var tied = config.Text.TieWordEmbeddings;
        var expected = LlavaExpectedKeys.Expected(config).ToDictionary(kv => LlavaHfKeys.ToFile(kv.Key, layout), kv => kv.Value);
        var source = weights.IndexPath ?? weights.Shards[0].Path;
        var entries = weights.Entries.Where(x => !LlavaHfKeys.IsIgnored(LlavaHfKeys.ToModel(x.Entry.Name, layout), tied)).ToList();
        StreamingWeights.CheckKeys(expected, entries.Select(x => (x.Entry.Name, x.Entry.Shape)), source);
        if (entries.FirstOrDefault(x => !IO.WeightChecks.IsFloatDType(x.Entry.DType)) is { Entry: not null } bad)
            throw new InvalidDataException($"{bad.Shard.Path}: tensor '{bad.Entry.Name}' is {bad.Entry.DType}; weights must be F32, F16, BF16 or F64");
        var tokenizer = TokenizerDirectory.Load(directory);
        var template = Text.ChatTemplate.FromDirectory(directory, tokenizer);
        LlavaCheckpoint.CheckTokenizer(config, tokenizer, directory);
        _ = LlavaCheckpoint.ImageProcessor(directory, config);
        var byDType = entries.GroupBy(x => x.Entry.DType).ToDictionary(g => g.Key, g => g.Count());
        return new LlavaDirectorySummary(directory, config, weights, layout, expected.Values.Sum(s => s.Aggregate(1L, (a, b) => a * b)), byDType,
            tokenizer.Kind, tokenizer.VocabSize, template.Family + (template.Note is null ? "" : " (fallback)"),
            File.Exists(Path.Combine(directory, ClipImageProcessor.FileName)));
    }
}
