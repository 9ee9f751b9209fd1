using System.CommandLine;
using System.Text.Json.Nodes;
using MMInterp.Client.Platform;

namespace MMInterp.Client.Commands;

/// <summary>`--threads`, kept so existing scripts still parse: the analysis runs on a silo now, which sizes its own threads.</summary>
public static class ThreadsOption
{
    public static Func<ParseResult, PlatformSession, JsonObject, CancellationToken, Task> Add(Command command)
    {
        command.Options.Add(new Option<int>("--threads") { Description = "ignored: the analysis runs on a silo, which sizes its own threads", Hidden = true });
        return (_, _, _, _) => Task.CompletedTask;
    }
}
