using System.CommandLine;
using System.Text.Json;
using MMInterp.Client.Cli;
using MMInterp.Client.Platform;
using MMInterp.Grains.Contracts.Experiments;
using Spectre.Console;

namespace MMInterp.Client.Commands;

/// <summary>
/// `mminterp analyze clip --sae ID`: the CLIP feature study of one dictionary (free labels, ground-truth concept
/// recovery, top examples, steering and steerability, typographic attack) as an experiment on an accelerator silo.
/// Labels and feature statistics go to the registry; figures are printed beside their controls.
/// </summary>
public static class AnalyzeCommand
{
    public static Command Create()
    {
        var analyze = new Command("analyze", "run an analysis as a registered experiment");
        var sae = new Option<string>("--sae") { Description = "dictionary id (its model and hook point come from the registry)", Required = true };
        var images = new Option<int>("--images") { Description = "held-out ShapesWorld images for statistics", DefaultValueFactory = _ => 1024 };
        var features = new Option<int>("--dashboards") { Description = "features that get top-example and histogram pictures", DefaultValueFactory = _ => 32 };
        var output = new Option<string?>("--out") { Description = "directory for the experiment's pictures" };
        var db = DatabaseOption.Create();
        var clip = new Command("clip", "CLIP SAE study: labels, concept recovery, steering, typographic attack") { sae, images, features, output, db };
        CliAction.Set(clip, async (parse, ct) =>
        {
            await using var session = await PlatformSession.OpenAsync(parse.GetValue(db), ct);
            var dictionaryId = parse.GetValue(sae)!;
            var dictionary = await session.Registry.Dictionaries.GetAsync(dictionaryId, ct)
                             ?? throw new ArgumentException($"dictionary '{dictionaryId}' is not registered (see `mminterp registry list dictionaries`)");
            var options = JsonSerializer.Serialize(new { images = parse.GetValue(images), dashboards = parse.GetValue(features) });
            var spec = new AnalysisSpec("clip-study", dictionary.ModelId, dictionary.Id, dictionary.HookPoint, options).Validated();
            var done = await ExperimentRunner.RunAsync(session, "analyze clip", spec, parse.GetValue(output), ct);
            Print(done);
            return 0;
        });
        analyze.Subcommands.Add(clip);
        return analyze;
    }

    internal static void Print(ExperimentRunner.Finished done)
    {
        var table = new Table().AddColumn("figure").AddColumn(new TableColumn("value").RightAligned());
        foreach (var (name, value) in done.Figures) table.AddRow(Markup.Escape(name), ExperimentRunner.Format(value));
        AnsiConsole.Write(table);
        foreach (var (name, path) in done.ImageFiles) Console.WriteLine($"{name}: {path}");
        Console.WriteLine($"experiment {done.Experiment.Id} recorded (mminterp registry show experiments {done.Experiment.Id})");
    }
}
