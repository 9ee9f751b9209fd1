using System.CommandLine;
using MMInterp.Client.Cli;
using MMInterp.Client.Platform;
using MMInterp.Client.Registry;
using MMInterp.Grains.Contracts;
using MMInterp.Grains.Registry;
using Spectre.Console;

namespace MMInterp.Client.Commands;

/// <summary>
/// `mminterp registry archive|delete|describe|tag KIND ID`: what a team changes about a registry row. Archive hides
/// it from lists (still shown by id, still a lineage parent; --undo brings it back); delete removes it only when
/// nothing depends on it and otherwise names what does; describe sets its description; tag adds and removes tags.
/// All are stored in Postgres (registry_annotations) and shown by `registry show` and `registry list`.
/// </summary>
public static class RegistryEditCommands
{
    public static IEnumerable<Command> Create(Option<string?> db, Option<bool> json, IAnsiConsole? console)
    {
        yield return Archive(db, json, console);
        yield return Delete(db, json, console);
        yield return Describe(db, json, console);
        yield return Tag(db, json, console);
    }

    static Command Archive(Option<string?> db, Option<bool> json, IAnsiConsole? console)
    {
        var (kind, id) = Target();
        var undo = new Option<bool>("--undo") { Description = "bring an archived row back into lists" };
        var command = new Command("archive", "hide a row from lists (it stays shown by id and as a lineage parent)") { kind, id, undo };
        Set(command, db, json, console, kind, id, (store, word, key, parse, ct) => store.Annotations.ArchiveAsync(word, key, !parse.GetValue(undo), ct),
            (note, word) => note.ArchivedAt is null ? $"{word} {note.Id} is back in lists" : $"archived {word} {note.Id} (hidden from lists; `--undo` brings it back)");
        return command;
    }

    static Command Describe(Option<string?> db, Option<bool> json, IAnsiConsole? console)
    {
        var (kind, id) = Target();
        var text = new Argument<string>("text") { Description = $"the description (at most {AnnotationRepository.MaxDescription} characters; \"\" clears it)" };
        var command = new Command("describe", "set a row's description") { kind, id, text };
        Set(command, db, json, console, kind, id, (store, word, key, parse, ct) => store.Annotations.DescribeAsync(word, key, parse.GetValue(text)!, ct),
            (note, word) => $"{word} {note.Id}: {(note.Description.Length == 0 ? "description cleared" : note.Description)}");
        return command;
    }

    static Command Tag(Option<string?> db, Option<bool> json, IAnsiConsole? console)
    {
        var (kind, id) = Target();
        var tags = new Argument<string[]>("tags") { Description = "tags to add (letters, digits and . _ : / -)", Arity = ArgumentArity.ZeroOrMore };
        var remove = new Option<string[]>("--remove") { Description = "tags to remove (repeatable)", AllowMultipleArgumentsPerToken = true };
        var command = new Command("tag", "add tags to a row, or remove them with --remove") { kind, id, tags, remove };
        Set(command, db, json, console, kind, id, (store, word, key, parse, ct) =>
            {
                var (add, drop) = (parse.GetValue(tags) ?? [], parse.GetValue(remove) ?? []);
                if (add.Length + drop.Length == 0) throw new ArgumentException("name tags to add, or --remove TAG");
                return store.Annotations.TagAsync(word, key, add, drop, ct);
            },
            (note, word) => $"{word} {note.Id} tags: {(note.Tags.Count == 0 ? "(none)" : string.Join(", ", note.Tags))}");
        return command;
    }

    static Command Delete(Option<string?> db, Option<bool> json, IAnsiConsole? console)
    {
        var (kind, id) = Target();
        var command = new Command("delete", "delete a row nothing depends on (otherwise says what does); stored files stay in the artefact store") { kind, id };
        CliAction.Set(command, async (parse, ct) =>
        {
            await using var session = await PlatformSession.OpenAsync(parse.GetValue(db), ct);
            var word = RegistryKinds.Word(RegistryKinds.Parse(parse.GetValue(kind)!));
            var key = await KeyAsync(session.Registry, word, parse.GetValue(id)!, ct);
            await Refused(() => session.Registry.Annotations.DeleteAsync(word, key, ct));
            var output = CliConsole.Out(console);
            if (parse.GetValue(json)) output.Profile.Out.Writer.WriteLine(RecordJson.Format(new { Deleted = word, Id = key }));
            else output.WriteLine($"deleted {word} {key}");
            return 0;
        });
        return command;
    }

    static void Set(Command command, Option<string?> db, Option<bool> json, IAnsiConsole? console, Argument<string> kind, Argument<string> id,
        Func<RegistryStore, string, string, ParseResult, CancellationToken, Task<RegistryAnnotation>> change, Func<RegistryAnnotation, string, string> said) =>
        CliAction.Set(command, async (parse, ct) =>
        {
            await using var session = await PlatformSession.OpenAsync(parse.GetValue(db), ct);
            var word = RegistryKinds.Word(RegistryKinds.Parse(parse.GetValue(kind)!));
            var key = await KeyAsync(session.Registry, word, parse.GetValue(id)!, ct);
            RegistryAnnotation note = null!;
            await Refused(async () => note = await change(session.Registry, word, key, parse, ct));
            var output = CliConsole.Out(console);
            if (parse.GetValue(json)) output.Profile.Out.Writer.WriteLine(RecordJson.Format(note));
            else output.WriteLine(said(note, word));
            return 0;
        });

    /// <summary>A model may be named by its name too; every other row by its id (an artefact by its sha256).</summary>
    static async Task<string> KeyAsync(RegistryStore store, string word, string id, CancellationToken ct) =>
        word == "model" && !(RegistryIds.IsValid(id) && await store.Models.GetAsync(id, ct) is not null)
            ? (await store.Models.GetByNameAsync(id, ct: ct))?.Id ?? id
            : id;

    /// <summary>A missing row or a row still in use is bad input (exit 2), said in one line.</summary>
    static async Task Refused(Func<Task> work)
    {
        try
        {
            await work();
        }
        catch (Exception e) when (e is RegistryNotFoundException or RegistryReferenceException)
        {
            throw new ArgumentException(e.Message, e);
        }
    }

    static (Argument<string> Kind, Argument<string> Id) Target()
    {
        var kind = new Argument<string>("kind") { Description = "model | activation | dictionary | run | experiment | artefact" };
        kind.AcceptOnlyFromAmong(RegistryKinds.Words);
        var id = new Argument<string>("id") { Description = "the row's id (for artefacts its sha256; for models also its name)" };
        return (kind, id);
    }
}
