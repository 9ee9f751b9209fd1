using System.CommandLine;
using System.Text.Json;
using MMInterp.Client.Cli;
using MMInterp.Kernels.Text;
using Spectre.Console;

namespace MMInterp.Client.Commands;

/// <summary>
/// `mminterp models tokenize DIR TEXT [--chat] [--images N]`: a model directory's tokeniser on one text, id by id,
/// and with --chat the prompt its chat template makes of TEXT as a question (and the note when the template is a
/// fallback). A local look at what a checkpoint will be fed; nothing is registered.
/// </summary>
public static class ModelsTokenizeCommand
{
    // Tokens are shown as JSON strings (so "\n" and spaces are visible) but with "▁", "Ġ" and "<image>" left readable.
    static readonly JsonSerializerOptions Readable = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Command Create(Option<bool> json, IAnsiConsole? console)
    {
        var dir = new Argument<string>("dir") { Description = "an HF model directory (tokenizer.model or tokenizer.json, tokenizer_config.json, ...)" };
        var text = new Argument<string>("text") { Description = "the text to tokenise (with --chat: the user's question)" };
        var chat = new Option<bool>("--chat") { Description = "render TEXT through the directory's chat template first (LLaVA-1.5, ChatML or Llama-2)" };
        var images = new Option<int>("--images") { Description = "with --chat: image placeholders before the question", DefaultValueFactory = _ => 1 };
        var command = new Command("tokenize", "show how a model directory's tokeniser (and chat template, with --chat) encodes a text") { dir, text, chat, images };
        CliAction.Set(command, (parse, _) =>
        {
            var directory = parse.GetValue(dir)!;
            var input = parse.GetValue(text)!;
            var n = parse.GetValue(images);
            if (n < 0) throw new ArgumentException($"--images must be 0 or more, got {n}");
            var tokenizer = TokenizerDirectory.Load(directory);
            var template = parse.GetValue(chat) ? ChatTemplate.FromDirectory(directory, tokenizer) : null;
            var encoded = template?.Prompt(input, n) ?? input;
            var ids = template?.Encode(tokenizer, [ChatMessage.User(input, n)]) ?? tokenizer.Encode(input);
            var output = CliConsole.Out(console);
            if (parse.GetValue(json))
            {
                output.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(new
                {
                    tokenizer = tokenizer.Kind, vocab_size = tokenizer.VocabSize, template = template?.Family.ToString(),
                    note = template?.Note, text = encoded, ids, tokens = ids.Select(tokenizer.TokenText),
                }, new JsonSerializerOptions(Readable) { WriteIndented = true }));
                return Task.FromResult(0);
            }
            output.WriteLine($"{tokenizer.Kind} tokeniser, {tokenizer.VocabSize} ids; {ids.Length} tokens"
                             + (template is null ? "" : $"; chat template {template.Family}"));
            if (template?.Note is { } note) output.MarkupLine($"[yellow]note:[/] {Markup.Escape(note)}");
            if (template is not null) output.WriteLine($"prompt: {JsonSerializer.Serialize(encoded, Readable)}");
            var table = new Table().Border(TableBorder.Rounded).AddColumn("#").AddColumn("id").AddColumn("token");
            for (var i = 0; i < ids.Length; i++)
                table.AddRow(new Text(i.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                             new Text(ids[i].ToString(System.Globalization.CultureInfo.InvariantCulture)),
                             new Text(JsonSerializer.Serialize(tokenizer.TokenText(ids[i]), Readable)));
            output.Write(table);
            return Task.FromResult(0);
        });
        return command;
    }
}
