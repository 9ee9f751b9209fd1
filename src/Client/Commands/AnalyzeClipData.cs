using System.CommandLine;
using System.Globalization;
using MMInterp.Client.Platform;
using MMInterp.Client.Reports;
using MMInterp.Grains.Contracts.Experiments;
using MMInterp.Kernels.Interp.DataStudy;
using MMInterp.Kernels.Interp.Features;
using MMInterp.Silo.Work;
using MMInterp.Kernels.Analyses;

namespace MMInterp.Client.Commands;

/// <summary>
/// `mminterp analyze clip --sae ID --dataset SPEC|ID [--vocab FILE|shapes|imagenet|dataset] [--template T] [--set name=value]`:
/// the CLIP study on a user's dataset (a SPEC is registered first) as an experiment; figures are printed beside their
/// controls, and with --out the pictures and an HTML report are written there.
/// </summary>
public static class AnalyzeClipData
{
    public sealed record Options(Option<string?> Dataset, Option<string[]> Set, VocabularyOptions Vocabulary);

    /// <summary>Adds --dataset, --set and the vocabulary options to the `analyze clip` command.</summary>
    public static Options Add(Command clip)
    {
        var dataset = new Option<string?>("--dataset")
        {
            Description = "study a user's images instead of ShapesWorld: a registered dataset id or a SPEC (images:DIR, imagefolder:DIR, jsonl:FILE, csv:FILE, parquet:PATH; registered first)",
        };
        var set = new Option<string[]>("--set")
        {
            Description = "a study option name=value (repeatable; with --dataset): " + string.Join(", ", ClipDataStudyOptions.Table.Select(o =>
                string.Create(CultureInfo.InvariantCulture, $"{o.Name} ({o.Get(ClipDataStudyOptions.Default)})"))),
            AllowMultipleArgumentsPerToken = false,
        };
        clip.Options.Add(dataset);
        clip.Options.Add(set);
        return new Options(dataset, set, VocabularyOptions.Add(clip));
    }

    /// <summary>Runs the study; <paramref name="overrides"/> are options the command line set outside --set (--images, --dashboards).</summary>
    public static async Task<ExperimentRunner.Finished> RunAsync(PlatformSession session, ParseResult parse, Options o, string dictionaryId,
        IEnumerable<KeyValuePair<string, double>> overrides, string? outDir, CancellationToken ct)
    {
        var dictionary = await session.Registry.Dictionaries.GetAsync(dictionaryId, ct)
                         ?? throw new ArgumentException($"dictionary '{dictionaryId}' is not registered (see `mminterp registry list dictionaries`)");
        var dataset = await DatasetRegistration.ResolveAsync(session.Artefacts, session.Registry, parse.GetValue(o.Dataset)!, ct);
        var vocabulary = o.Vocabulary.Resolve(parse, new RegisteredDatasetLabels(dataset))
                         ?? (dataset.LabelNames.Count >= 2
                             ? BuiltInVocabularies.FromDataset(new RegisteredDatasetLabels(dataset))
                             : throw new ArgumentException($"dataset {dataset.Id} has no labels: name a vocabulary for free labels with --vocab FILE|shapes|imagenet"));
        var values = overrides.Concat((parse.GetValue(o.Set) ?? []).Select(ParseSet)).ToList();
        ClipDataStudyOptions.FromValues(values); // a bad option fails here, before the experiment starts
        var spec = new AnalysisSpec(ClipDataStudyAnalysis.Kind, dictionary.ModelId, dictionary.Id, dictionary.HookPoint,
            ClipDataStudyAnalysis.OptionsJson(dataset.Id, vocabulary, values)).Validated();
        Console.WriteLine($"dataset {dataset.Id} ({dataset.Name}): {dataset.ItemCount} images, {dataset.LabelNames.Count} labels; vocabulary {vocabulary.Name} ({vocabulary.Concepts.Count} concepts, {vocabulary.Templates.Count} templates)");
        var done = await ExperimentRunner.RunAsync(session, "analyze clip (dataset)", spec, outDir, ct);
        AnalyzeCommand.PrintWithControls(done);
        if (outDir is not null)
        {
            var html = new HtmlReport($"CLIP study of {dictionary.Id} on {dataset.Name}");
            await DataStudySection.AddAsync(html, session, done, dictionary.Id, outDir, ct);
            var path = Path.Combine(outDir, "report.html");
            html.Write(path);
            Console.WriteLine($"report: {path}");
        }
        return done;
    }

    static KeyValuePair<string, double> ParseSet(string text)
    {
        var at = text.IndexOf('=');
        if (at <= 0 || !double.TryParse(text[(at + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            throw new ArgumentException($"--set '{text}' is not name=number (options: {string.Join(", ", ClipDataStudyOptions.Table.Select(t => t.Name))})");
        return new(text[..at].Trim(), value);
    }
}
