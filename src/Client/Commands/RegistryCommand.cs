using System.CommandLine;
using MMInterp.Client.Cli;
using MMInterp.Client.Platform;
using MMInterp.Client.Registry;
using MMInterp.Grains.Registry;
using Spectre.Console;

namespace MMInterp.Client.Commands;

/// <summary>
/// `mminterp registry list KIND` and `mminterp registry show KIND ID`: read the registry straight from Postgres.
/// The database comes from --db or MMINTERP_DB (an Npgsql connection string), else the embedded server.
/// </summary>
public static class RegistryCommand
{
    public static Command Create() => Create(null);

    /// <summary><paramref name="console"/>: where output goes (tests capture it); null means the terminal.</summary>
    public static Command Create(IAnsiConsole? console)
    {
        var db = new Option<string?>("--db")
        {
            Description = $"registry PostgreSQL connection string (default: ${PlatformSession.DatabaseVariable}, else the embedded server)",
            Recursive = true,
        };
        var json = new Option<bool>("--json") { Description = "print JSON instead of tables", Recursive = true };

        var command = new Command("registry", "list, inspect, describe, tag, archive and delete registered models, activation sets, dictionaries, runs, experiments and artefacts");
        command.Options.Add(db);
        command.Options.Add(json);
        command.Subcommands.Add(List(db, json, console));
        command.Subcommands.Add(Show(db, json, console));
        foreach (var edit in RegistryEditCommands.Create(db, json, console)) command.Subcommands.Add(edit);
        return command;
    }

    static Command List(Option<string?> db, Option<bool> json, IAnsiConsole? console)
    {
        var kind = KindArgument();
        var limit = new Option<int>("--limit") { Description = "most rows to print (newest first)", DefaultValueFactory = _ => 50 };
        var archived = new Option<bool>("--archived") { Description = "include archived rows (`registry archive`)" };
        var command = new Command("list", "list registry rows of one kind, newest first (archived ones only with --archived; runs and experiments can be filtered)") { kind, limit, archived };
        var filters = new RegistryListFilter.Options();
        filters.Add(command);
        CliAction.Set(command, async (parse, ct) =>
        {
            await using var session = await PlatformSession.OpenAsync(parse.GetValue(db), ct);
            var store = session.Registry;
            await RegistryListView.RenderAsync(store, RegistryKinds.Parse(parse.GetValue(kind)!), parse.GetValue(limit), parse.GetValue(json),
                Output(console), ct, parse.GetValue(archived), filters.Read(parse));
            return 0;
        });
        return command;
    }

    static Command Show(Option<string?> db, Option<bool> json, IAnsiConsole? console)
    {
        var kind = KindArgument();
        var id = new Argument<string>("id") { Description = "the row's id (for artefacts its sha256; for models also its name)" };
        var command = new Command("show", "show one registry row with all its fields") { kind, id };
        CliAction.Set(command, async (parse, ct) =>
        {
            await using var session = await PlatformSession.OpenAsync(parse.GetValue(db), ct);
            var store = session.Registry;
            await RegistryShowView.RenderAsync(store, RegistryKinds.Parse(parse.GetValue(kind)!), parse.GetValue(id)!, parse.GetValue(json),
                Output(console), ct);
            return 0;
        });
        return command;
    }

    /// <summary>The terminal (wide when piped: <see cref="CliConsole"/>), unless a test passed its own.</summary>
    static IAnsiConsole Output(IAnsiConsole? console) => CliConsole.Out(console);

    static Argument<string> KindArgument()
    {
        var kind = new Argument<string>("kind") { Description = "models | activations | dictionaries | runs | experiments | artefacts" };
        kind.AcceptOnlyFromAmong(RegistryKinds.Words);
        return kind;
    }
}
