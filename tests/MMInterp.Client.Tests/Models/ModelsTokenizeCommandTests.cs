using System.CommandLine;
using System.Text.Json.Nodes;
using MMInterp.Client.Commands;
using Spectre.Console;
using Xunit;

namespace MMInterp.Client.Tests.Models;

/// <summary>`models tokenize` on the LLaVA-1.5-style fixture directory: ids as the goldens (sentencepiece under HF's
/// algorithm) have them, the chat prompt, and one-line errors.</summary>
[Collection(MMInterp.Client.Tests.Cli.ConsoleErrorCollection.Name)]
public sealed class ModelsTokenizeCommandTests
{
    static string Golden => Path.Combine(AppContext.BaseDirectory, "TokenizerGolden");

    static Task<(int Code, string Out, string Err)> InvokeAsync(params string[] args) =>
        ModelsCli.InvokeAsync(Path.GetTempPath(), args);

    [Fact]
    public async Task ChatPromptIdsAreTheGoldenOnes()
    {
        const string prompt = "USER: <image>\nWhat colour is the circle? ASSISTANT:";
        var golden = JsonNode.Parse(File.ReadAllText(Path.Combine(Golden, "llama_goldens.json")))!["strings"]!.AsArray()
            .Single(s => s!["text"]!.GetValue<string>() == prompt)!["ids"]!.AsArray().Select(n => n!.GetValue<int>()).ToArray();
        var (code, output, err) = await InvokeAsync("models", "tokenize", Path.Combine(Golden, "llama"), "What colour is the circle?", "--chat", "--json");
        Assert.True(code == 0, err);
        var json = JsonNode.Parse(output)!;
        Assert.Equal(prompt, json["text"]!.GetValue<string>());
        Assert.Equal("Llava15", json["template"]!.GetValue<string>());
        Assert.Equal(golden, json["ids"]!.AsArray().Select(n => n!.GetValue<int>()).ToArray());
        Assert.Equal("<image>", json["tokens"]![4]!.GetValue<string>());

        (code, output, err) = await InvokeAsync("models", "tokenize", Path.Combine(Golden, "qwen2"), "hi there");
        Assert.True(code == 0, err);
        Assert.Contains("byte-level-bpe tokeniser", output);
        Assert.Contains("\"Ġthere\"", output);
    }

    [Fact]
    public async Task AMissingDirectoryIsAOneLineError()
    {
        var (code, _, err) = await InvokeAsync("models", "tokenize", Path.Combine(Golden, "nowhere"), "x");
        Assert.Equal(1, code);
        Assert.StartsWith("error: model directory not found:", err.Trim());
        Assert.Single(err.Trim().Split('\n'));
    }
}
