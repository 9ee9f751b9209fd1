using System.CommandLine;
using MMInterp.Grains.Telemetry;
using Spectre.Console;

namespace MMInterp.Client.Cli;

/// <summary>
/// Wraps a command's work so that every failure is one clear line on stderr and a non-zero exit code,
/// never a stack trace. Set MMINTERP_DEBUG=1 to see the full exception.
/// </summary>
public static class CliAction
{
    /// <summary>Sets the command's action; each run is the root span of its trace (client -> grain -> kernel).</summary>
    public static void Set(Command command, Func<ParseResult, CancellationToken, Task<int>> work) =>
        command.SetAction(async (parse, ct) =>
        {
            using var activity = PlatformTelemetry.Source.StartActivity($"mminterp {string.Join(' ', parse.CommandResult.Command.Name)}");
            var code = await Run(() => work(parse, ct));
            activity?.SetTag("mminterp.exit_code", code);
            return code;
        });

    public static async Task<int> Run(Func<Task<int>> work)
    {
        try
        {
            return await work();
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("error: cancelled");
            return 130;
        }
        catch (Exception e)
        {
            var inner = e is AggregateException { InnerExceptions.Count: 1 } agg ? agg.InnerExceptions[0] : e;
            Console.Error.WriteLine($"error: {OneLine(inner.Message)}");
            if (Environment.GetEnvironmentVariable("MMINTERP_DEBUG") == "1") Console.Error.WriteLine(inner);
            return inner is ArgumentException or FormatException or InvalidDataException ? 2 : 1;
        }
    }

    static string OneLine(string s) => string.Join(' ', s.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    /// <summary>Runs a long step with a Spectre progress bar; the callback reports completion in [0, 1].</summary>
    public static async Task<T> WithProgress<T>(string title, Func<Action<double, string?>, Task<T>> work)
    {
        if (!AnsiConsole.Profile.Capabilities.Interactive)
        {
            // Logs and CI: one line per tenth, not a redrawn bar.
            var lastTenth = -1;
            return await work((p, note) =>
            {
                var tenth = (int)Math.Floor(Math.Clamp(p, 0, 1) * 10);
                if (tenth == lastTenth) return;
                lastTenth = tenth;
                Console.WriteLine($"{title}: {tenth * 10}%{(note is null ? "" : " " + note)}");
            });
        }
        T result = default!;
        await AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async ctx =>
            {
                var task = ctx.AddTask(Markup.Escape(title), maxValue: 1.0);
                result = await work((p, note) =>
                {
                    task.Value = Math.Clamp(p, 0, 1);
                    if (note is not null) task.Description = Markup.Escape($"{title} {note}");
                });
                task.Value = 1.0;
            });
        return result;
    }
}
