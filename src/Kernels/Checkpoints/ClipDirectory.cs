using System.Text.Json;
using System.Text.Json.Nodes;
using MMInterp.Kernels.IO;
using MMInterp.Kernels.Models.Clip;
using MMInterp.Kernels.Text;

namespace MMInterp.Kernels.Checkpoints;

/// <summary>What <see cref="ClipDirectory.Inspect"/> found in a valid HF CLIPModel directory.</summary>
public sealed record ClipDirectorySummary(
    string Directory,
    ClipConfig Config,
    HfWeightFiles Weights,
    long ParameterCount,
    IReadOnlyDictionary<string, int> TensorsByDType,
    string Tokenizer,
    int TokenizerTokens,
    bool HasPreprocessorConfig)
{
    /// <summary>The files a load reads (and a registration stores), relative to <see cref="Directory"/>: config,
    /// weights (with the index), tokenizer and preprocessor files; other formats of the same weights are left out.</summary>
    public IReadOnlyList<string> Files
    {
        get
        {
            var files = new List<string> { ClipDirectory.ConfigFile };
            if (Weights.IndexPath is { } index) files.Add(Path.GetFileName(index));
            files.AddRange(Weights.Shards.Select(s => Path.GetFileName(s.Path)));
            files.AddRange(ClipDirectory.TokenizerFiles.Append(ClipDirectory.PreprocessorFile)
                .Where(f => File.Exists(Path.Combine(Directory, f))));
            return files;
        }
    }

    /// <summary>E.g. "ViT-B/32 224px, vision 768x12 (12 heads), text 512x12 (8 heads), projection 512".</summary>
    public string Architecture
    {
        get
        {
            var (v, t) = (Config.Vision.Tower, Config.Text.Tower);
            var size = v.HiddenSize switch { 768 => "B", 1024 => "L", 1280 => "H", 1664 => "g", 1408 => "g", 512 => "S", 384 => "S", 192 => "Ti", _ => $"{v.HiddenSize}w" };
            return $"ViT-{size}/{Config.Vision.PatchSize} {Config.Vision.ImageSize}px, vision {v.HiddenSize}x{v.NumLayers} ({v.NumHeads} heads, {v.HiddenAct}), " +
                   $"text {t.HiddenSize}x{t.NumLayers} ({t.NumHeads} heads), projection {Config.ProjectionDim}";
        }
    }
}

/// <summary>
/// Checks an HF CLIPModel directory before anything is stored or allocated: config.json parses and is a sane
/// CLIPConfig; the safetensors headers (single file or index + shards) hold exactly the expected keys with the expected
/// shapes in float dtypes; the tokenizer (vocab.json + merges.txt and/or tokenizer.json) parses and fits the config;
/// preprocessor_config.json, when present, is JSON. Every problem is one <see cref="InvalidDataException"/> or
/// <see cref="FileNotFoundException"/> line naming the file.
/// </summary>
public static class ClipDirectory
{
    public const string ConfigFile = "config.json";
    public const string PreprocessorFile = "preprocessor_config.json";

    /// <summary>Tokenizer files HF writes beside a CLIPModel; the last two only configure the first three.</summary>
    public static readonly string[] TokenizerFiles = ["vocab.json", "merges.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"];

    static readonly string[] FloatDTypes = ["F32", "F16", "BF16", "F64"];

    public static ClipDirectorySummary Inspect(string directory)
    {
        var config = ReadConfig(directory);
        var weights = HfWeightFiles.Open(directory);
        var expected = ClipHfKeys.Expected(config);
        var source = weights.IndexPath ?? weights.Shards[0].Path;
        var entries = weights.Entries.Where(x => !ClipHfKeys.IsIgnoredBuffer(x.Entry.Name)).ToList();
        StreamingWeights.CheckKeys(expected, entries.Select(x => (x.Entry.Name, x.Entry.Shape)), source);
        if (entries.FirstOrDefault(x => !FloatDTypes.Contains(x.Entry.DType)) is { Entry: not null } bad)
            throw new InvalidDataException($"{bad.Shard.Path}: tensor '{bad.Entry.Name}' is {bad.Entry.DType}; weights must be F32, F16, BF16 or F64");
        var (tokenizerName, tokenizer) = ReadTokenizer(directory) ?? throw new FileNotFoundException(
            $"{directory}: no tokenizer (vocab.json + merges.txt, or tokenizer.json)", Path.Combine(directory, "tokenizer.json"));
        CheckTokenizer(config, tokenizer, Path.Combine(directory, tokenizerName.Split(' ')[0]));
        var preprocessor = Path.Combine(directory, PreprocessorFile);
        var hasPreprocessor = File.Exists(preprocessor);
        if (hasPreprocessor)
        {
            _ = JsonFiles.ReadObject(preprocessor);
        }
        var byDType = entries.GroupBy(x => x.Entry.DType).ToDictionary(g => g.Key, g => g.Count());
        return new ClipDirectorySummary(directory, config, weights, ClipHfKeys.ParameterCount(expected), byDType, tokenizerName,
            tokenizer.Vocab.Count, hasPreprocessor);
    }

    /// <summary>config.json as a CLIPConfig, or a line saying what the directory is instead.</summary>
    public static ClipConfig ReadConfig(string directory)
    {
        if (!System.IO.Directory.Exists(directory)) throw new DirectoryNotFoundException($"model directory not found: {directory}");
        var pipeline = Path.Combine(directory, "model_index.json");
        if (File.Exists(pipeline)) throw new InvalidDataException($"{pipeline}: a diffusers pipeline, not an HF CLIPModel directory");
        var config = Path.Combine(directory, ConfigFile);
        if (!File.Exists(config))
        {
            var ours = new[] { "vlm_config.json", "diffusion.json", "cfg.json" }.FirstOrDefault(f => File.Exists(Path.Combine(directory, f)));
            throw new FileNotFoundException(ours is null
                ? $"{directory}: no {ConfigFile} (not an HF model directory)"
                : $"{directory}: no {ConfigFile} but a {ours} (not an HF CLIPModel directory)", config);
        }
        return ClipConfigJson.Read(config);
    }

    /// <summary>vocab.json + merges.txt when both are there (as CLIPTokenizer reads them), else tokenizer.json; both are
    /// parsed when both are present. Null when there is neither.</summary>
    public static (string Files, ClipBpeTokenizer Tokenizer)? ReadTokenizer(string directory)
    {
        var vocab = Path.Combine(directory, "vocab.json");
        var merges = Path.Combine(directory, "merges.txt");
        var json = Path.Combine(directory, "tokenizer.json");
        var fromJson = File.Exists(json) ? ClipTokenizerJson.Read(json) : null;
        if (File.Exists(vocab) != File.Exists(merges))
            throw new FileNotFoundException($"{directory}: {(File.Exists(vocab) ? "vocab.json without merges.txt" : "merges.txt without vocab.json")}",
                File.Exists(vocab) ? merges : vocab);
        if (File.Exists(vocab)) return ("vocab.json + merges.txt", ClipBpeTokenizer.FromFiles(vocab, merges));
        return fromJson is null ? null : ("tokenizer.json", fromJson);
    }

    static void CheckTokenizer(ClipConfig config, ClipBpeTokenizer tokenizer, string path)
    {
        if (tokenizer.VocabSize > config.Text.VocabSize)
            throw new InvalidDataException($"{path}: token ids reach {tokenizer.VocabSize - 1} but text_config.vocab_size is {config.Text.VocabSize}");
        // HF pools the text at argmax(ids) when eos_token_id is 2 (legacy configs): right only if <|endoftext|> has the top id.
        if (config.Text.EosTokenId == 2 && tokenizer.EndId != tokenizer.VocabSize - 1)
            throw new InvalidDataException($"{path}: <|endoftext|> is id {tokenizer.EndId}, not the highest id, but the config (eos_token_id 2) pools at the highest id");
        if (config.Text.EosTokenId != 2 && config.Text.EosTokenId != tokenizer.EndId)
            throw new InvalidDataException($"{path}: <|endoftext|> is id {tokenizer.EndId} but text_config.eos_token_id is {config.Text.EosTokenId}");
    }
}
