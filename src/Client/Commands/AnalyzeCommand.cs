using System.CommandLine;
using System.Text.Json.Nodes;
using MMInterp.Client.Cli;
using MMInterp.Client.Platform;
using MMInterp.Client.Reports;
using MMInterp.Grains.Contracts.Experiments;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Analyses;
using MMInterp.Kernels.Extraction;
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
        var tokens = TokensOption.Create("tokens the study counts (statistics, steering clamps, suppression, free labels, concept directions): all, patch or cls; "
                                         + "default: those the dictionary was trained on", defaultValue: null);
        var db = DatabaseOption.Create();
        var clip = new Command("clip", "CLIP SAE study: labels, concept recovery, steering, typographic attack (on ShapesWorld, or on your images with --dataset)")
            { sae, images, features, output, tokens, db };
        var data = AnalyzeClipData.Add(clip);
        CliAction.Set(clip, async (parse, ct) =>
        {
            var tokenSelection = parse.GetValue(tokens) is not null ? TokensOption.Read(parse, tokens).Name() : null;
            if (tokenSelection is not null && parse.GetValue(data.Dataset) is not null)
                throw new ArgumentException("--tokens applies to the ShapesWorld study; a study of your own images counts every token");
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
            var options = ClipStudyAnalysis.OptionsJson(new ClipStudyOptions { Images = parse.GetValue(images), Dashboards = parse.GetValue(features), Tokens = tokenSelection });
            var spec = new AnalysisSpec(ClipStudyAnalysis.Kind, dictionary.ModelId, dictionary.Id, dictionary.HookPoint, options);
            var done = await StudyRunner.RunAsync(session, "analyze clip", spec, parse.GetValue(output), ct);
            Print(done);
            return 0;
        });
        analyze.Subcommands.Add(clip);
        analyze.Subcommands.Add(AnalyzeClipLayers.Create());
        analyze.Subcommands.Add(Vlm());
        analyze.Subcommands.Add(Diffusion());
        return analyze;
    }

    /// <summary>`analyze vlm --model ID`: causal tracing, attention knockout and logit lens as one experiment; with
    /// --steer-sae, steering through the vision tower with a registered dictionary (--type is then the attribute).</summary>
    static Command Vlm()
    {
        var model = new Option<string>("--model") { Description = "registered VLM id (mminterp zoo build vlm, or an HF LLaVA added with models add --family vlm), or a VLM directory (registered first)", Required = true };
        var output = new Option<string?>("--out") { Description = "directory for the experiment's pictures" };
        var db = DatabaseOption.Create();
        var command = new Command("vlm", "VLM study: causal tracing, attention knockout, logit lens on visual tokens") { model, output, db };
        var steerSae = new Option<string?>("--steer-sae") { Description = "instead: steer through the vision tower with this dictionary (an SAE on one of the VLM's vision.* hooks)" };
        command.Options.Add(steerSae);
        command.Options.Add(VlmDataOption.Create());
        var study = StudyOptions.Add(command, AnalysisCatalog.Get<VlmStudyAnalysis>().OptionSet, except: ["parts", .. VlmStudyOptions.DataOptions]);
        CliAction.Set(command, async (parse, ct) =>
        {
            var options = study.Read(parse);
            VlmDataOption.Check(parse); // before the platform starts
            await using var session = await PlatformSession.OpenAsync(parse.GetValue(db), ct);
            var modelId = await StudyModels.ResolveAsync(session, parse.GetValue(model)!, ModelFamily.Vlm, ct);
            await VlmDataOption.StoreAsync(parse, session, options, ct);
            if (parse.GetValue(steerSae) is { } dictionary)
            {
                var steer = new JsonObject { ["attribute"] = options["type"]?.DeepClone() ?? new VlmStudyOptions().Type };
                return await RunAsync(session, "analyze vlm (steering)", new AnalysisSpec(VlmSteerAnalysis.Kind, modelId, dictionary, OptionsJson: steer.ToJsonString()), parse.GetValue(output), ct);
            }
            return await RunAsync(session, "analyze vlm", new AnalysisSpec(VlmStudyAnalysis.Kind, modelId, OptionsJson: options.ToJsonString()), parse.GetValue(output), ct);
        });
        return command;
    }

    /// <summary>`analyze diffusion --model ID`: temporal probes, steering lens, head roles and ablations as one experiment;
    /// with --steer-saes, feature steering during sampling with registered timestep SAEs.</summary>
    static Command Diffusion()
    {
        var model = new Option<string>("--model") { Description = "registered diffusion model id (mminterp zoo build diffusion), or a model directory (registered first)", Required = true };
        var output = new Option<string?>("--out") { Description = "directory for the experiment's pictures" };
        var db = DatabaseOption.Create();
        var command = new Command("diffusion", "diffusion study: temporal probes, steering lens, head roles and ablations") { model, output, db };
        var steerSaes = new Option<string?>("--steer-saes")
        {
            Description = "instead: steer colour during sampling with these dictionaries, one per noise level of one denoiser hook "
                          + "(comma-separated; each trained with train-sae on an extraction key such as denoiser.blocks.3.hook_resid_post@t=0.900, "
                          + "all on the same conditioning: all null caption, or all @c=caption, or all @c=half)",
        };
        command.Options.Add(steerSaes);
        var study = StudyOptions.Add(command, AnalysisCatalog.Get<DiffusionStudyAnalysis>().OptionSet, except: ["parts"]);
        var steering = StudyOptions.Add(command, AnalysisCatalog.Get<DiffusionSteerAnalysis>().OptionSet, only: ["prompts_per_colour"],
            legacy: new Dictionary<string, string> { ["--prompts"] = "prompts_per_colour" });
        CliAction.Set(command, async (parse, ct) =>
        {
            await using var session = await PlatformSession.OpenAsync(parse.GetValue(db), ct);
            var modelId = await StudyModels.ResolveAsync(session, parse.GetValue(model)!, ModelFamily.Diffusion, ct);
            if (parse.GetValue(steerSaes) is { } list)
            {
                var steer = steering.Read(parse);
                steer["dictionaries"] = new JsonArray(list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .Select(id => (JsonNode)JsonValue.Create(id)).ToArray());
                return await RunAsync(session, "analyze diffusion (steering)", new AnalysisSpec(DiffusionSteerAnalysis.Kind, modelId, OptionsJson: steer.ToJsonString()), parse.GetValue(output), ct);
            }
            return await RunAsync(session, "analyze diffusion", new AnalysisSpec(DiffusionStudyAnalysis.Kind, modelId, OptionsJson: study.Read(parse).ToJsonString()), parse.GetValue(output), ct);
        });
        return command;
    }

    static async Task<int> RunAsync(PlatformSession session, string title, AnalysisSpec spec, string? output, CancellationToken ct)
    {
        var done = await StudyRunner.RunAsync(session, title, spec, output, ct);
        if (output is not null)
            ExperimentSection.Add(new HtmlReport($"{spec.Kind} of {spec.ModelId}"), done, output).Write(Path.Combine(output, "report.html"));
        Print(done);
        return 0;
    }

    /// <summary>Figures beside their controls (the one grouping every surface shows); kept for the dataset study's callers.</summary>
    internal static void PrintWithControls(ExperimentRunner.Finished done) => StudyRunner.Print(done);

    internal static void Print(ExperimentRunner.Finished done) => StudyRunner.Print(done);
}
