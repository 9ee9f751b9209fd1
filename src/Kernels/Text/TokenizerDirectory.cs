namespace MMInterp.Kernels.Text;

/// <summary>
/// The one way in: the tokeniser of an HF model directory. tokenizer_config.json's tokenizer_class decides when it
/// names a known family (Llama/LLaVA-1.5: SentencePiece tokenizer.model; Qwen2/GPT-2: byte-level BPE tokenizer.json);
/// otherwise the files present do (tokenizer.model first: a Llama directory also ships a tokenizer.json whose BPE is
/// SentencePiece-style). Missing or malformed files are one-line errors naming the file.
/// </summary>
public static class TokenizerDirectory
{
    public const string SentencePieceFile = "tokenizer.model";
    public const string TokenizerJsonFile = "tokenizer.json";

    static readonly string[] SentencePieceClasses = ["LlamaTokenizer", "LlamaTokenizerFast", "CodeLlamaTokenizer", "CodeLlamaTokenizerFast"];
    static readonly string[] ByteLevelClasses = ["Qwen2Tokenizer", "Qwen2TokenizerFast", "GPT2Tokenizer", "GPT2TokenizerFast"];

    public static TextTokenizer Load(string directory)
    {
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"model directory not found: {directory}");
        var config = HfTokenizerConfig.Read(directory);
        var spPath = Path.Combine(directory, SentencePieceFile);
        var jsonPath = Path.Combine(directory, TokenizerJsonFile);
        var cls = config.TokenizerClass;
        if (cls is not null && SentencePieceClasses.Contains(cls))
            return File.Exists(spPath) ? SentencePieceTextTokenizer.Load(spPath, config)
                : throw new FileNotFoundException($"{directory}: tokenizer_class {cls} needs {SentencePieceFile}, which is missing", spPath);
        if (cls is not null && ByteLevelClasses.Contains(cls))
            return File.Exists(jsonPath) ? ByteLevelBpeTextTokenizer.Load(jsonPath, config)
                : throw new FileNotFoundException($"{directory}: tokenizer_class {cls} needs {TokenizerJsonFile}, which is missing", jsonPath);
        if (File.Exists(spPath)) return SentencePieceTextTokenizer.Load(spPath, config);
        if (File.Exists(jsonPath)) return ByteLevelBpeTextTokenizer.Load(jsonPath, config);
        throw new FileNotFoundException(
            $"{directory}: no tokeniser (expected {SentencePieceFile} for SentencePiece/Llama or {TokenizerJsonFile} for byte-level BPE/Qwen2)");
    }
}
