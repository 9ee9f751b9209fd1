using System.CommandLine;
using System.Text.Json.Nodes;
using MMInterp.Client.Commands;
using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Models.Clip;
using MMInterp.Kernels.Models.Llava;
using MMInterp.Kernels.Models.Llm;
using SkiaSharp;
using Spectre.Console;
using Xunit;

namespace MMInterp.Client.Tests.Models;

/// <summary>`models generate DIR IMAGE QUESTION` on a small random LLaVA directory with the LLaVA-1.5-style tokeniser
/// fixture: the chat prompt, the image tokens expanded, the same tokens with and without the KV cache; one-line errors.</summary>
[Collection(MMInterp.Client.Tests.Cli.ConsoleErrorCollection.Name)]
public sealed class ModelsGenerateCommandTests : IDisposable
{
    readonly string _home = Directory.CreateTempSubdirectory("mminterp-generate-").FullName;

    public void Dispose() => Directory.Delete(_home, true);

    static Task<(int Code, string Out, string Err)> InvokeAsync(params string[] args) =>
        ModelsCli.InvokeAsync(Path.GetTempPath(), args);

    string WriteLlava(bool tokenizer = true)
    {
        var dir = Path.Combine(_home, tokenizer ? "llava" : "no-tokenizer");
        var config = new LlavaConfig
        {
            Vision = new ClipVisionConfig { ImageSize = 32, PatchSize = 8, Tower = new ClipTowerConfig { HiddenSize = 32, IntermediateSize = 64, NumLayers = 2, NumHeads = 4 } },
            Text = new LlamaConfig { HiddenSize = 64, IntermediateSize = 96, NumLayers = 2, NumHeads = 4, NumKvHeads = 2, VocabSize = 702, MaxPositions = 512 },
            ImageTokenId = 700,
        };
        TorchSharp.torch.manual_seed(3);
        using (var model = new LlavaForConditionalGeneration(config, TorchSharp.torch.ScalarType.BFloat16)) LlavaCheckpoint.Save(model, dir);
        if (tokenizer)
            foreach (var f in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "TokenizerGolden", "llama")))
                File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        return dir;
    }

    string WritePng()
    {
        var path = Path.Combine(_home, "picture.png");
        using var bitmap = new SKBitmap(48, 40);
        for (var y = 0; y < 40; y++)
            for (var x = 0; x < 48; x++) bitmap.SetPixel(x, y, new SKColor((byte)(x * 5), (byte)(y * 6), (byte)((x + y) * 3)));
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, data.ToArray());
        return path;
    }

    [Fact]
    public async Task AnswersWithTheChatPromptAndTheSameTokensWithoutTheCache()
    {
        var (dir, png) = (WriteLlava(), WritePng());
        var (code, output, err) = await InvokeAsync("models", "generate", dir, png, "What colour is the square?", "--max-new-tokens", "5", "--json");
        Assert.True(code == 0, err);
        var result = JsonNode.Parse(output)!;
        Assert.Equal("USER: <image>\nWhat colour is the square? ASSISTANT:", result["prompt"]!.GetValue<string>());
        var promptIds = result["prompt_ids"]!.AsArray().Select(n => n!.GetValue<long>()).ToList();
        Assert.Single(promptIds, 700L);
        Assert.Equal(promptIds.Count - 1 + 16, result["merged_length"]!.GetValue<int>());
        var ids = result["ids"]!.AsArray().Select(n => n!.GetValue<long>()).ToList();
        Assert.InRange(ids.Count, 1, 5);

        var (code2, output2, err2) = await InvokeAsync("models", "generate", dir, png, "What colour is the square?", "--max-new-tokens", "5", "--no-cache", "--json");
        Assert.True(code2 == 0, err2);
        Assert.Equal(ids, JsonNode.Parse(output2)!["ids"]!.AsArray().Select(n => n!.GetValue<long>()).ToList());
    }

    [Fact]
    public async Task ProblemsAreOneLine()
    {
        var png = WritePng();
        var (code, _, err) = await InvokeAsync("models", "generate", WriteLlava(tokenizer: false), png, "What is it?");
        Assert.NotEqual(0, code);
        Assert.Contains("no tokeniser", err);
        Assert.Single(err.Trim().Split('\n'));
        var (code2, _, err2) = await InvokeAsync("models", "generate", Path.Combine(_home, "nowhere"), png, "What is it?");
        Assert.NotEqual(0, code2);
        Assert.Contains("model directory not found", err2);
    }
}
