using System.CommandLine;
using System.Globalization;
using MMInterp.Client.Cli;
using MMInterp.Client.Platform;
using MMInterp.Client.Registry;
using MMInterp.Grains.Registry;
using Spectre.Console;

namespace MMInterp.Client.Commands;

/// <summary>`mminterp status`: jobs, training runs, sweeps and zoo builds from the registry, with progress and stage.</summary>
public static class StatusCommand
{
    public static Command Create()
    {
        var all = new Option<bool>("--all") { Description = "include finished work (default: only pending and running, plus the last 10 finished)" };
        var json = new Option<bool>("--json") { Description = "print the rows as JSON (every field, config inlined) instead of a table" };
        var db = DatabaseOption.Create();
        var command = new Command("status", "show jobs, runs and sweeps with their progress") { all, json, db };
        CliAction.Set(command, async (parse, ct) =>
        {
            await using var session = await PlatformSession.OpenAsync(parse.GetValue(db), ct);
            var runs = await session.Registry.Runs.ListAsync(limit: 500, ct: ct);
            var open = runs.Where(r => !r.IsTerminal).ToList();
            var finished = runs.Where(r => r.IsTerminal).OrderByDescending(r => r.UpdatedAt).Take(parse.GetValue(all) ? int.MaxValue : 10).ToList();
            var rows = open.Concat(finished).ToList();
            if (parse.GetValue(json))
            {
                Console.Out.WriteLine(RecordJson.FormatList(rows));
                return 0;
            }
            // The stage column only when some run reports one (zoo builds do); the status word never wraps, however narrow the terminal.
            var staged = rows.Any(r => !string.IsNullOrEmpty(r.Stage));
            var table = new Table().AddColumn(new TableColumn("id").NoWrap()).AddColumn("kind").AddColumn(new TableColumn("status").NoWrap()).AddColumns("progress", "step");
            if (staged) table.AddColumn("stage");
            table.AddColumns("updated", "error");
            foreach (var r in rows)
            {
                var step = r.TotalSteps is { } t ? $"{r.Step}/{t}" : r.Step.ToString(CultureInfo.InvariantCulture);
                string[] cells = [Markup.Escape(r.Id), RegistryNames.Name(r.Kind), Colour(r.Status), Bar(r.Progress), step,
                    .. (staged ? new[] { Markup.Escape(Short(r.Stage)) } : Array.Empty<string>()),
                    r.UpdatedAt.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture), Markup.Escape(Short(r.Error))];
                table.AddRow(cells);
            }
            if (open.Count + finished.Count == 0) Console.WriteLine("no jobs, runs or sweeps yet");
            else CliConsole.Out().Write(table); // wide when piped: ids stay on one line
            return 0;
        });
        return command;
    }

    static string Bar(double p)
    {
        var filled = (int)Math.Round(Math.Clamp(p, 0, 1) * 20);
        return $"{new string('#', filled)}{new string('.', 20 - filled)} {p * 100,3:F0}%";
    }

    static string Colour(RunStatus s) => s switch
    {
        RunStatus.Succeeded => "[green]succeeded[/]",
        RunStatus.Failed => "[red]failed[/]",
        RunStatus.Cancelled => "[yellow]cancelled[/]",
        RunStatus.Running => "[blue]running[/]",
        _ => "pending",
    };

    static string Short(string? s) => s is null ? "" : s.Length <= 60 ? s : s[..57] + "...";
}
