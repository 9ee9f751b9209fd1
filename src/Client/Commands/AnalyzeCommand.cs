using System.CommandLine;
using System.Text.Json;
using MMInterp.Client.Cli;
using MMInterp.Client.Platform;
using MMInterp.Client.Reports;
using MMInterp.Grains.Contracts.Experiments;
using Spectre.Console;

namespace MMInterp.Client.Commands;

/// <summary>
/// `mminterp analyze clip --sae ID`: the CLIP feature study of one dictionary (free labels, ground-truth concept
/// recovery, top examples, steering and steerability, typographic attack) as an experiment on an accelerator silo.
/// Labels and feature statistics go to the registry; figures are printed beside their controls. `analyze vlm` and
/// `analyze diffusion` run the VLM and diffusion studies of a registered model the same way.
/// </summary>
public static class AnalyzeCommand
{
    public static Command Create()
    {
        var analyze = new Command("analyze", "run an analysis as a registered experiment");
        var sae = new Option<string>("--sae") { Description = "dictionary id (its model and hook point come from the registry)", Required = true };
        var images = new Option<int>("--images") { Description = "held-out ShapesWorld images for statistics (with --dataset: dataset images studied, default 512)", DefaultValueFactory = _ => 1024 };
        var features = new Option<int>("--dashboards") { Description = "features that get top-example and histogram pictures", DefaultValueFactory = _ => 32 };
        var output = new Option<string?>("--out") { Description = "directory for the experiment's pictures" };
        var db = DatabaseOption.Create();
        var clip = new Command("clip", "CLIP SAE study: labels, concept recovery, steering, typographic attack (on ShapesWorld, or on your images with --dataset)")
            { sae, images, features, output, db };
        var data = AnalyzeClipData.Add(clip);
        CliAction.Set(clip, async (parse, ct) =>
        {
            await using var session = await PlatformSession.OpenAsync(parse.GetValue(db), ct);
            var dictionaryId = parse.GetValue(sae)!;
            if (parse.GetValue(data.Dataset) is not null)
            {
                // --images and --dashboards keep their meaning; given explicitly they override the dataset study's defaults.
                var overrides = new List<KeyValuePair<string, double>>();
                if (parse.GetResult(images) is { Implicit: false }) overrides.Add(new("images", parse.GetValue(images)));
                if (parse.GetResult(features) is { Implicit: false }) overrides.Add(new("dashboards", parse.GetValue(features)));
                await AnalyzeClipData.RunAsync(session, parse, data, dictionaryId, overrides, parse.GetValue(output), ct);
                return 0;
            }
            if (parse.GetValue(data.Vocabulary.Vocab) is not null || (parse.GetValue(data.Set) ?? []).Length > 0)
                throw new ArgumentException("--vocab and --set apply to a study of your own images: add --dataset SPEC|ID");
            var dictionary = await session.Registry.Dictionaries.GetAsync(dictionaryId, ct)
                             ?? throw new ArgumentException($"dictionary '{dictionaryId}' is not registered (see `mminterp registry list dictionaries`)");
            var options = JsonSerializer.Serialize(new { images = parse.GetValue(images), dashboards = parse.GetValue(features) });
            var spec = new AnalysisSpec("clip-study", dictionary.ModelId, dictionary.Id, dictionary.HookPoint, options).Validated();
            var done = await ExperimentRunner.RunAsync(session, "analyze clip", spec, parse.GetValue(output), ct);
            Print(done);
            return 0;
        });
        analyze.Subcommands.Add(clip);
        analyze.Subcommands.Add(Vlm());
        analyze.Subcommands.Add(Diffusion());
        return analyze;
    }

    /// <summary>`analyze vlm --model ID`: causal tracing, attention knockout and logit lens as one experiment.</summary>
    static Command Vlm()
    {
        var model = new Option<string>("--model") { Description = "registered VLM id (mminterp zoo build vlm)", Required = true };
        var type = new Option<string>("--type") { Description = "question type: colour, shape, size, position or fill", DefaultValueFactory = _ => "colour" };
        var prompts = new Option<int>("--prompts") { Description = "held-out questions (answered correctly)", DefaultValueFactory = _ => 16 };
        var output = new Option<string?>("--out") { Description = "directory for the experiment's pictures" };
        var db = DatabaseOption.Create();
        var command = new Command("vlm", "VLM study: causal tracing, attention knockout, logit lens on visual tokens") { model, type, prompts, output, db };
        var steerSae = new Option<string?>("--steer-sae") { Description = "instead: steer through the vision tower with this dictionary (an SAE on one of the VLM's vision.* hooks)" };
        command.Options.Add(steerSae);
        CliAction.Set(command, async (parse, ct) =>
        {
            if (parse.GetValue(steerSae) is { } dictionary)
            {
                var steerOptions = JsonSerializer.Serialize(new { attribute = parse.GetValue(type) });
                return await RunAsync(parse.GetValue(db), "analyze vlm (steering)",
                    new AnalysisSpec("vlm-steer", parse.GetValue(model)!, dictionary, OptionsJson: steerOptions), parse.GetValue(output), ct);
            }
            var options = JsonSerializer.Serialize(new { type = parse.GetValue(type), prompts = parse.GetValue(prompts) });
            return await RunAsync(parse.GetValue(db), "analyze vlm", new AnalysisSpec("vlm-study", parse.GetValue(model)!, OptionsJson: options), parse.GetValue(output), ct);
        });
        return command;
    }

    /// <summary>`analyze diffusion --model ID`: temporal probes, steering lens, head roles and ablations as one experiment;
    /// with --steer-saes, feature steering during sampling with registered timestep SAEs.</summary>
    static Command Diffusion()
    {
        var model = new Option<string>("--model") { Description = "registered diffusion model id (mminterp zoo build diffusion)", Required = true };
        var seeds = new Option<int>("--seeds") { Description = "data seeds for the temporal probes", DefaultValueFactory = _ => 1 };
        var images = new Option<int>("--ablation-images") { Description = "generated images per ablation", DefaultValueFactory = _ => 64 };
        var output = new Option<string?>("--out") { Description = "directory for the experiment's pictures" };
        var db = DatabaseOption.Create();
        var command = new Command("diffusion", "diffusion study: temporal probes, steering lens, head roles and ablations") { model, seeds, images, output, db };
        var steerSaes = new Option<string?>("--steer-saes")
        {
            Description = "instead: steer colour during sampling with these dictionaries, one per noise level of one denoiser hook "
                          + "(comma-separated; each trained with train-sae on an extraction key such as denoiser.blocks.3.hook_resid_post@t=0.900, "
                          + "all on the same conditioning: all null caption, or all @c=caption, or all @c=half)",
        };
        var prompts = new Option<int>("--prompts") { Description = "steering: prompts per target colour", DefaultValueFactory = _ => 16 };
        command.Options.Add(steerSaes);
        command.Options.Add(prompts);
        CliAction.Set(command, async (parse, ct) =>
        {
            if (parse.GetValue(steerSaes) is { } list)
            {
                var ids = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                var steerOptions = JsonSerializer.Serialize(new { dictionaries = ids, prompts_per_colour = parse.GetValue(prompts) });
                return await RunAsync(parse.GetValue(db), "analyze diffusion (steering)",
                    new AnalysisSpec("diffusion-steer", parse.GetValue(model)!, OptionsJson: steerOptions), parse.GetValue(output), ct);
            }
            var options = JsonSerializer.Serialize(new { seeds = parse.GetValue(seeds), ablation_images = parse.GetValue(images) });
            return await RunAsync(parse.GetValue(db), "analyze diffusion", new AnalysisSpec("diffusion-study", parse.GetValue(model)!, OptionsJson: options), parse.GetValue(output), ct);
        });
        return command;
    }

    static async Task<int> RunAsync(string? database, string title, AnalysisSpec spec, string? output, CancellationToken ct)
    {
        await using var session = await PlatformSession.OpenAsync(database, ct);
        var done = await ExperimentRunner.RunAsync(session, title, spec.Validated(), output, ct);
        Print(done);
        return 0;
    }

    /// <summary>Figures beside their controls, as the experiment recorded which controls go with which figure.</summary>
    internal static void PrintWithControls(ExperimentRunner.Finished done)
    {
        var table = new Table().AddColumn("figure").AddColumn(new TableColumn("value").RightAligned()).AddColumn("controls (same run)");
        foreach (var (name, value, note) in DataStudySection.Rows(done))
            table.AddRow(Markup.Escape(name), ExperimentRunner.Format(value), Markup.Escape(note.Split(" — ")[0]));
        AnsiConsole.Write(table);
        foreach (var (name, path) in done.ImageFiles) Console.WriteLine($"{name}: {path}");
        Console.WriteLine($"experiment {done.Experiment.Id} recorded (mminterp registry show experiments {done.Experiment.Id})");
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
