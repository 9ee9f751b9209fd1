using System.CommandLine;
using System.Globalization;
using MMInterp.Client.Cli;
using MMInterp.Client.Platform;
using MMInterp.Client.Platform.Submissions;
using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Grains.Sweeps;
using MMInterp.Kernels.Plots;
using Spectre.Console;

namespace MMInterp.Client.Commands;

/// <summary>`mminterp sweep`: a grid or random search over SAE settings; prints the L0-vs-FVU Pareto front and plots it.</summary>
public static class SweepCommand
{
    public static Command Create()
    {
        var sae = new SaeOptions();
        var grid = new Option<string[]>("--grid") { Description = $"an axis as field=v1,v2,... (repeatable; field names in any case), e.g. sae.K=8,16,32; valid axes: {SweepPoints.ValidAxes()}", Required = true, AllowMultipleArgumentsPerToken = false };
        var random = new Option<int>("--random") { Description = "draw this many combinations instead of the full grid", DefaultValueFactory = _ => 0 };
        var plot = new Option<string>("--plot") { Description = $"where to write the Pareto plot (PNG; default: {OutputPaths.Shown("SWEEP-ID/pareto.png")})" };
        var id = new Option<string?>("--sweep") { Description = "sweep id (default: a new one)" };
        var pack = new Option<int>("--pack-size") { Description = $"runs trained together on one read of each batch (1: each run reads on its own; 0: {SweepSpec.DefaultPackSize})", DefaultValueFactory = _ => 0 };
        var db = DatabaseOption.Create();
        var command = new Command("sweep", "search SAE hyper-parameters; report the L0-vs-FVU Pareto front");
        foreach (var o in sae.All.Append(grid).Append(random).Append(plot).Append(id).Append(pack).Append(db)) command.Options.Add(o);
        CliAction.Set(command, async (parse, ct) =>
        {
            var axes = ParseAxes(parse.GetValue(grid)!);
            // A value its field cannot take is refused before anything is opened or started.
            var request = new SweepRequest(sae.Request(parse), axes, parse.GetValue(random), parse.GetValue(pack)).Validated();
            await using var session = await PlatformSession.OpenAsync(parse.GetValue(db), ct);
            var work = WorkContext.Of(session);
            var sweepId = parse.GetValue(id) ?? CliIds.New("sweep");
            // Every value parsed against its field and every point's config validated before anything starts.
            var (spec, points, _) = await SweepSubmission.SpecAsync(work, request, sweepId, ct);
            var grain = await SweepSubmission.StartAsync(work, sweepId, spec, ct);
            Console.WriteLine($"sweep {sweepId}: {points.Count} runs over {string.Join(", ", axes.Keys)}");
            JobProgress final;
            try
            {
                final = await JobWatcher.FollowAsync("sweep", grain.Status, ct);
            }
            catch (InvalidOperationException)
            {
                // Failed: each point's reason is reported below.
                final = await grain.Status();
            }

            var results = await grain.Results();
            var failed = results.Where(r => !r.Succeeded).OrderBy(r => r.Point).ToList();
            foreach (var r in failed) Console.Error.WriteLine($"sweep {sweepId}: {r.FailureLine}");
            var succeeded = results.Where(r => r.Succeeded).ToList();
            if (succeeded.Count == 0)
                throw new InvalidOperationException($"sweep {sweepId} failed: {(failed.Count > 0 ? "no point succeeded" : final.Error ?? "no reason was recorded")}");
            var table = new Table().AddColumns("run", "setting", "L0", "FVU", "front");
            foreach (var r in succeeded.OrderBy(r => r.L0))
                table.AddRow(r.RunId, Markup.Escape(r.Label), r.L0.ToString("F2", CultureInfo.InvariantCulture), r.Fvu.ToString("F4", CultureInfo.InvariantCulture), r.OnFront ? "[green]yes[/]" : "");
            CliConsole.Out().Write(table);
            var path = parse.GetValue(plot) ?? OutputPaths.Under($"{sweepId}/pareto.png");
            if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } dir) Directory.CreateDirectory(dir);
            ParetoPlotPng.Write(path, succeeded.Select(r => (r.Label, r.L0, r.Fvu, r.OnFront)).ToList(), $"sweep {sweepId}");
            Console.WriteLine($"Pareto plot: {Path.GetFullPath(path)}");
            // Some points failed: the results above stand, but the command did not do all it was asked.
            if (failed.Count > 0) return 1;
            return 0;
        });
        return command;
    }

    static Dictionary<string, IReadOnlyList<string>> ParseAxes(IEnumerable<string> specs)
    {
        var axes = new Dictionary<string, IReadOnlyList<string>>();
        foreach (var s in specs)
        {
            var eq = s.IndexOf('=');
            if (eq <= 0 || eq == s.Length - 1) throw new ArgumentException($"--grid '{s}' must look like sae.K=8,16,32");
            var values = s[(eq + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            // The config's spelling of the field ("sae.k" is sae.K), or a one-line error listing the valid axes.
            var name = SweepPoints.Canonical(s[..eq].Trim());
            if (!axes.TryAdd(name, values)) throw new ArgumentException($"--grid names {name} twice");
        }
        return axes;
    }
}
