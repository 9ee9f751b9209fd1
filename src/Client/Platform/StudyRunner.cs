using System.Text.Json;
using System.Text.Json.Nodes;
using MMInterp.Client.Cli;
using MMInterp.Grains.Contracts.Experiments;
using MMInterp.Kernels.Analyses;
using MMInterp.Kernels.Artefacts;
using Spectre.Console;

namespace MMInterp.Client.Platform;

/// <summary>
/// The CLI side of every study: checks the options as the analysis will read them, submits the experiment to the
/// cluster (embedded or external), follows it, copies its pictures and files out of the store and prints its figures
/// beside their controls.
/// </summary>
public static class StudyRunner
{
    public static async Task<ExperimentRunner.Finished> RunAsync(PlatformSession session, string title, AnalysisSpec spec, string? outDir, CancellationToken ct)
    {
        // A bad option fails here, before the cluster starts (the web API checks the same way).
        return await ExperimentRunner.RunAsync(session, title, Submissions.AnalysisSubmission.Checked(spec), outDir, ct);
    }

    /// <summary>Writes the experiment's results as <paramref name="jsonName"/> and restores its files into
    /// <paramref name="outDir"/>: name -> path under it ("" = the directory itself, for a stored directory).</summary>
    public static async Task WriteAsync(PlatformSession session, ExperimentRunner.Finished done, string outDir, string jsonName,
        IReadOnlyDictionary<string, string>? files, CancellationToken ct)
    {
        Directory.CreateDirectory(outDir);
        await File.WriteAllTextAsync(Path.Combine(outDir, jsonName), done.Results.ToJsonString(new JsonSerializerOptions { WriteIndented = true }), ct);
        foreach (var (name, target) in files ?? new Dictionary<string, string>())
        {
            if (done.Results["files"]?[name]?.GetValue<string>() is not { } sha) continue;
            var path = Path.Combine(outDir, target);
            if (target.Length == 0 || !Path.HasExtension(target))
            {
                // A directory: each file of its manifest, over what is there.
                foreach (var (relative, stored) in await session.Artefacts.GetVerifiedPathsAsync(sha, ct))
                {
                    var destination = Path.Combine(path, relative);
                    Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
                    File.Copy(stored, destination, overwrite: true);
                }
            }
            else File.Copy(await session.Artefacts.GetVerifiedPathAsync(sha, ct), path, overwrite: true);
        }
    }

    /// <summary>The figures grouped headline-first with their controls (<see cref="Reports.FigureLayout"/>, as every surface
    /// shows them), the pictures written, and one `figure NAME: VALUE` line per headline for scripts.</summary>
    public static void Print(ExperimentRunner.Finished done)
    {
        var layout = done.Layout;
        Reports.FigureLayoutConsole.Write(CliConsole.Out(), layout);
        foreach (var g in layout.Groups) Console.WriteLine($"figure {g.Headline.Name}: {g.Headline.Text}");
        foreach (var (name, path) in done.ImageFiles) Console.WriteLine($"{name}: {path}");
        Console.WriteLine($"experiment {done.Experiment.Id} recorded (mminterp registry show experiments {done.Experiment.Id})");
    }

    /// <summary>Stores a local file or directory the analysis reads (an SAE, a set of them, an extraction) and returns its sha256.</summary>
    public static async Task<string> StoreAsync(PlatformSession session, string path, string flag, CancellationToken ct)
    {
        if (Directory.Exists(path)) return (await session.Artefacts.PutDirectoryAsync(path, ct)).Sha256;
        if (File.Exists(path)) return (await session.Artefacts.PutFileAsync(path, ArtefactKind.FromFileName(path), ct)).Sha256;
        throw new ArgumentException($"{flag}: '{path}' not found");
    }
}
