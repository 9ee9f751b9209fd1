using System.CommandLine;
using System.Text.Json;
using MMInterp.Client.Cli;
using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Images;
using Spectre.Console;

namespace MMInterp.Client.Commands;

/// <summary>
/// `mminterp models generate DIR IMAGE QUESTION [--max-new-tokens N] [--no-cache] [--json]`: an HF LLaVA directory's
/// greedy answer to a question about an image (chat template, tokeniser and preprocessor from the directory). A local
/// check of a checkpoint before registering it; nothing is registered or stored.
/// </summary>
public static class ModelsGenerateCommand
{
    public static Command Create(Option<bool> json, IAnsiConsole? console)
    {
        var dir = new Argument<string>("dir") { Description = "an HF LlavaForConditionalGeneration directory" };
        var image = new Argument<string>("image") { Description = "the image file (png, jpeg, webp, bmp, gif)" };
        var question = new Argument<string>("question") { Description = "the question about the image" };
        var max = new Option<int>("--max-new-tokens") { Description = "most tokens to generate (stops earlier at EOS)", DefaultValueFactory = _ => 64 };
        var noCache = new Option<bool>("--no-cache") { Description = "recompute the whole sequence at every step instead of using the KV cache (the same tokens, slower)" };
        var command = new Command("generate", "answer a question about an image greedily with an HF LLaVA directory (local; registers nothing)") { dir, image, question, max, noCache };
        CliAction.Set(command, (parse, _) =>
        {
            var n = parse.GetValue(max);
            if (n is < 1 or > 4096) throw new ArgumentException($"--max-new-tokens must be in 1..4096, got {n}");
            var picture = ImageDecoder.DecodeFile(parse.GetValue(image)!);
            var loaded = LlavaCheckpoint.Load(parse.GetValue(dir)!);
            using var model = loaded.Model;
            var answer = LlavaChat.Ask(loaded, picture, parse.GetValue(question)!, n, useCache: !parse.GetValue(noCache));
            var output = CliConsole.Out(console);
            if (parse.GetValue(json))
            {
                output.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(new
                {
                    prompt = answer.Prompt, prompt_ids = answer.PromptIds, merged_length = answer.MergedLength, ids = answer.Ids,
                    text = answer.Text, note = answer.TemplateNote,
                }, new JsonSerializerOptions { WriteIndented = true }));
                return Task.FromResult(0);
            }
            if (answer.TemplateNote is { } note) output.MarkupLine($"[yellow]note:[/] {Markup.Escape(note)}");
            output.MarkupLineInterpolated($"[grey]prompt {JsonSerializer.Serialize(answer.Prompt)}: {answer.PromptIds.Length} tokens, {answer.MergedLength} with the image's features; {answer.Ids.Length} generated[/]");
            output.Profile.Out.Writer.WriteLine(answer.Text);
            return Task.FromResult(0);
        });
        return command;
    }
}
