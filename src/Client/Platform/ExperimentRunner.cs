using System.Globalization;
using System.Text.Json.Nodes;
using MMInterp.Grains.Contracts.Experiments;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Analyses;

namespace MMInterp.Client.Platform;

/// <summary>
/// Runs an analysis as an Experiment grain, follows it with a progress bar and reads back what it recorded: the
/// figures (with their controls) and the pictures, which it copies out of the artefact store into a directory.
/// </summary>
public static class ExperimentRunner
{
    public sealed record Finished(ExperimentRecord Experiment, JsonObject Results, IReadOnlyDictionary<string, string> ImageFiles)
    {
        /// <summary>A figure by its name or by a name it had before (<see cref="AnalysisCatalog.FigureName"/>); NaN when not measured.</summary>
        public double Figure(string name) =>
            (Results["figures"]?[name] ?? Results["figures"]?[AnalysisCatalog.FigureName(name)])?.GetValue<double>() ?? double.NaN;

        /// <summary>The figures grouped headline-first with their controls, as every surface shows them.</summary>
        public Reports.FigureLayout Layout => Reports.FigureLayout.Of(Experiment.Kind, Results);

        public IEnumerable<(string Name, double Value)> Figures =>
            (Results["figures"] as JsonObject ?? []).Select(kv => (kv.Key, kv.Value?.GetValue<double>() ?? double.NaN));
    }

    public static async Task<Finished> RunAsync(PlatformSession session, string title, AnalysisSpec spec, string? imageDirectory, CancellationToken ct,
        string? experimentId = null)
    {
        spec.Validated();
        var id = experimentId ?? CliIds.New(spec.Kind);
        var grain = await Submissions.AnalysisSubmission.StartAsync(Submissions.WorkContext.Of(session), id, spec, ct);
        await JobWatcher.FollowAsync(title, grain.Status, ct);
        var record = await session.Registry.Experiments.GetAsync(id, ct) ?? throw new InvalidOperationException($"experiment {id} finished but is not in the registry");
        var results = JsonNode.Parse(record.ResultsJson) as JsonObject ?? [];
        var files = new Dictionary<string, string>();
        if (imageDirectory is not null && results["images"] is JsonObject images)
        {
            Directory.CreateDirectory(imageDirectory);
            foreach (var (name, sha) in images)
            {
                if (sha?.GetValue<string>() is not { } hash) continue;
                var path = Path.Combine(imageDirectory, $"{name}.png");
                await File.WriteAllBytesAsync(path, await session.Artefacts.ReadAllBytesAsync(hash, ct), ct);
                files[name] = path;
            }
        }
        return new Finished(record, results, files);
    }

    public static string Format(double v) => double.IsFinite(v) ? v.ToString("F3", CultureInfo.InvariantCulture) : "n/a";
}
