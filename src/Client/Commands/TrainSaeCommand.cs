using System.CommandLine;
using System.Globalization;
using MMInterp.Client.Cli;
using MMInterp.Client.Platform;
using MMInterp.Client.Platform.Submissions;
using MMInterp.Grains.Contracts.Jobs;

namespace MMInterp.Client.Commands;

/// <summary>`mminterp train-sae`: one TrainingRun on an accelerator silo; checkpoints, metrics and the dictionary go to the registry.</summary>
public static class TrainSaeCommand
{
    public static Command Create()
    {
        var sae = new SaeOptions();
        var id = new Option<string?>("--run") { Description = "run id (default: a new one); re-running an id resumes it" };
        var detach = new Option<bool>("--detach") { Description = "return once started (external cluster only)" };
        var db = DatabaseOption.Create();
        var command = new Command("train-sae", "train a sparse autoencoder on a registered activation set");
        foreach (var o in sae.All.Append(id).Append(detach).Append(db)) command.Options.Add(o);
        CliAction.Set(command, async (parse, ct) =>
        {
            await using var session = await PlatformSession.OpenAsync(parse.GetValue(db), ct);
            var work = WorkContext.Of(session);
            var (spec, saeConfig, set, hook, d) = await TrainingSubmission.SpecAsync(work, sae.Request(parse, parse.GetValue(id)), ct);
            var runId = parse.GetValue(id) ?? CliIds.New("sae");
            var run = await TrainingSubmission.StartAsync(work, runId, spec, ct);
            Console.WriteLine($"training run {runId}: {saeConfig.Kind} d_sae={saeConfig.DSae} on {set.Id} at {hook} (d={d}), {spec.Steps} steps");
            if (parse.GetValue(detach))
            {
                DetachGuard.Check(session);
                return 0;
            }
            await JobWatcher.FollowAsync("train-sae", run.Status, ct);
            var last = await run.LastCheckpoint();
            var m = last!.Metrics;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"dictionary {runId}: L0 {m["l0"]:F2}, FVU {m["fvu"]:F4}, MSE {m["mse"]:G4}, dead {m["dead_fraction"]:P1}, dense {m["dense_fraction"]:P1}"));
            return 0;
        });
        return command;
    }

    /// <summary>About 20 logged steps a run (at most every 100 steps): the metric series' cadence. Not more often: each
    /// log closes the window the trainer's L0, FVU and dead fraction are measured over, so a shorter window would change
    /// the recorded figures. The progress bar does not wait for it: it shows every step from the run's status.</summary>
    internal static int LiveLogEvery(long steps) => (int)Math.Max(1, Math.Min(100, steps / 20));
}
