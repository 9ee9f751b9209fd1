using System.CommandLine;
using System.Text.Json.Nodes;
using MMInterp.Client.Cli;
using MMInterp.Client.Platform;
using MMInterp.Client.Reports;
using MMInterp.Grains.Contracts.Experiments;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Analyses;

namespace MMInterp.Client.Commands;

/// <summary>
/// A study command: --model (a registered model, or a directory registered first), the analysis' options from its
/// options record (<see cref="StudyOptions"/>), --out; it submits the analysis as an experiment, follows it, writes
/// its pictures, files, results JSON and an HTML report into --out and prints the figures beside their controls.
/// </summary>
public sealed record StudyVerb(string Name, string Description, IAnalysis Analysis, ModelFamily Family, string DefaultOut)
{
    /// <summary>Options bound (by name); null = all but <see cref="Except"/>.</summary>
    public IReadOnlyList<string>? Only { get; init; }
    public IReadOnlyList<string> Except { get; init; } = [];
    /// <summary>This command's own defaults (option name -> command-line text).</summary>
    public IReadOnlyDictionary<string, string>? Defaults { get; init; }
    /// <summary>Older flags of this command (flag -> option name).</summary>
    public IReadOnlyDictionary<string, string>? Legacy { get; init; }
    /// <summary>Options this command always sends (e.g. which parts of a study it runs).</summary>
    public JsonObject? Fixed { get; init; }
    /// <summary>The results JSON's file name in --out (the name this command wrote before).</summary>
    public string ResultsFile { get; init; } = "results.json";
    /// <summary>Files of the result restored into --out: name -> path under it ("" = --out itself, for a directory).</summary>
    public IReadOnlyDictionary<string, string>? Files { get; init; }
    /// <summary>When set, --out is the path of this picture rather than a directory.</summary>
    public string? OutPicture { get; init; }
    /// <summary>Adds this command's own options; returns what turns them into options (run after the bound ones are read).</summary>
    public Func<Command, Func<ParseResult, PlatformSession, JsonObject, CancellationToken, Task>>? Extra { get; init; }
    /// <summary>Checks this command's own inputs before the platform starts (a refusal is exit code 2 with nothing opened).</summary>
    public Action<ParseResult>? Check { get; init; }

    public Command Create()
    {
        var command = new Command(Name, Description);
        var model = new Option<string>("--model") { Description = $"registered {RegistryNames.Name(Family)} model id or name, or a model directory (registered first)", Required = true };
        var output = new Option<string>("--out")
        {
            Description = (OutPicture is null ? "directory for the pictures, files and results JSON" : $"path of the {OutPicture} picture (PNG)") + $" (default: {OutputPaths.Shown(DefaultOut)})",
            DefaultValueFactory = _ => OutputPaths.Under(DefaultOut),
        };
        var db = DatabaseOption.Create();
        foreach (var o in new Option[] { model, output, db }) command.Options.Add(o);
        var extra = Extra?.Invoke(command);
        var options = StudyOptions.Add(command, Analysis.OptionSet, Only, Except.Concat(Fixed?.Select(kv => kv.Key) ?? []), Defaults, Legacy);
        CliAction.Set(command, async (parse, ct) =>
        {
            var json = options.Read(parse);
            foreach (var (key, value) in Fixed ?? []) json[key] = value?.DeepClone();
            Analysis.OptionSet.Check(json.ToJsonString()); // before the platform starts
            Check?.Invoke(parse);
            await using var session = await PlatformSession.OpenAsync(parse.GetValue(db), ct);
            if (extra is not null) await extra(parse, session, json, ct);
            var modelId = await StudyModels.ResolveAsync(session, parse.GetValue(model)!, Family, ct);
            var outPath = parse.GetValue(output)!;
            var outDir = OutPicture is null ? outPath : Directory.CreateTempSubdirectory("mminterp-study-").FullName;
            var done = await StudyRunner.RunAsync(session, $"{Analysis.Kind} ({Name})", new AnalysisSpec(Analysis.Kind, modelId, OptionsJson: json.ToJsonString()), outDir, ct);
            if (OutPicture is not null)
            {
                if (done.ImageFiles.TryGetValue(OutPicture, out var png))
                {
                    if (Path.GetDirectoryName(Path.GetFullPath(outPath)) is { } parent) Directory.CreateDirectory(parent);
                    File.Copy(png, outPath, overwrite: true);
                }
                Directory.Delete(outDir, recursive: true);
                StudyRunner.Print(done with { ImageFiles = new Dictionary<string, string> { [OutPicture] = outPath } });
                return 0;
            }
            await StudyRunner.WriteAsync(session, done, outDir, ResultsFile, Files, ct);
            ExperimentSection.Add(new HtmlReport($"{Analysis.Kind} of {modelId}"), done, outDir).Write(Path.Combine(outDir, "report.html"));
            StudyRunner.Print(done);
            Console.WriteLine($"written to {Path.GetFullPath(outDir)}");
            return 0;
        });
        return command;
    }

    /// <summary>A fixed option list, e.g. the parts of a study a command runs.</summary>
    public static JsonObject Parts(params string[] parts) => new() { ["parts"] = new JsonArray(parts.Select(p => (JsonNode)JsonValue.Create(p)).ToArray()) };
}
