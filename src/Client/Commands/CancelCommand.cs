using System.CommandLine;
using MMInterp.Client.Cli;
using MMInterp.Client.Platform;
using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Grains.Registry;

namespace MMInterp.Client.Commands;

/// <summary>`mminterp cancel ID`: stops a job, run or sweep; its checkpoints and finished shards stay in the store.</summary>
public static class CancelCommand
{
    public static Command Create()
    {
        var id = new Argument<string>("id") { Description = "job, run or sweep id (see `mminterp status`)" };
        var db = DatabaseOption.Create();
        var command = new Command("cancel", "cancel a job, training run or sweep") { id, db };
        CliAction.Set(command, async (parse, ct) =>
        {
            var target = parse.GetValue(id)!;
            await using var session = await PlatformSession.OpenAsync(parse.GetValue(db), ct);
            var run = await session.Registry.Runs.GetAsync(target, ct) ?? throw new ArgumentException($"no job, run or sweep with id '{target}'");
            if (run.IsTerminal)
            {
                Console.WriteLine($"{target} already {RegistryNames.Name(run.Status)}");
                return 0;
            }
            var cluster = await session.ClusterAsync(ct);
            await (run.Kind switch
            {
                RunKind.Extraction => cluster.GetGrain<IExtractionJobGrain>(target).Cancel(),
                RunKind.SaeTraining => cluster.GetGrain<ITrainingRunGrain>(target).Cancel(),
                RunKind.Sweep => cluster.GetGrain<ISweepGrain>(target).Cancel(),
                _ => throw new ArgumentException($"{target} is a {RegistryNames.Name(run.Kind)} run, which cannot be cancelled from here"),
            });
            Console.WriteLine($"cancelled {target}");
            return 0;
        });
        return command;
    }
}
