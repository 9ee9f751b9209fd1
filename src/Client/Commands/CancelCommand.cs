using System.CommandLine;
using MMInterp.Client.Cli;
using MMInterp.Client.Platform;

namespace MMInterp.Client.Commands;

/// <summary>`mminterp cancel ID`: stops a job, run, sweep or experiment; its checkpoints and finished shards stay in the store.</summary>
public static class CancelCommand
{
    public static Command Create()
    {
        var id = new Argument<string>("id") { Description = "job, run, sweep or experiment id (see `mminterp status`)" };
        var db = DatabaseOption.Create();
        var command = new Command("cancel", "cancel a job, training run, sweep or experiment") { id, db };
        CliAction.Set(command, async (parse, ct) =>
        {
            var target = parse.GetValue(id)!;
            await using var session = await PlatformSession.OpenAsync(parse.GetValue(db), ct);
            try
            {
                Console.WriteLine(await RunCancellation.CancelAsync(session.Registry, session.ClusterAsync, target, ct));
            }
            catch (KeyNotFoundException e)
            {
                throw new ArgumentException(e.Message);
            }
            return 0;
        });
        return command;
    }
}
