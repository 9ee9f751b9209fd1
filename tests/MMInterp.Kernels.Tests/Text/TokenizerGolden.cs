using System.Text.Json.Nodes;

namespace MMInterp.Kernels.Tests.Text;

/// <summary>The fixtures and goldens tests/reference/tokenizer_reference.py wrote (sentencepiece's trainer and encoder,
/// openai/gpt-2's encoder.py, jinja2), copied beside the test assembly.</summary>
static class TokenizerGolden
{
    public static string Dir => Path.Combine(AppContext.BaseDirectory, "Text", "TokenizerGolden");
    public static string LlamaDir => Path.Combine(Dir, "llama");
    public static string Qwen2Dir => Path.Combine(Dir, "qwen2");

    public static JsonObject Read(string name) => (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(Dir, name)))!;

    public static int[] Ids(JsonNode? node) => node!.AsArray().Select(n => n!.GetValue<int>()).ToArray();

    /// <summary>A copy of a fixture directory the test may change.</summary>
    public static string CopyOf(string source, string into)
    {
        Directory.CreateDirectory(into);
        foreach (var file in Directory.GetFiles(source)) File.Copy(file, Path.Combine(into, Path.GetFileName(file)));
        return into;
    }
}
