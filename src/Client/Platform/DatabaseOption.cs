using System.CommandLine;

namespace MMInterp.Client.Platform;

public static class DatabaseOption
{
    public static Option<string?> Create() => new("--db")
    {
        Description = $"PostgreSQL connection string of the platform (default: ${PlatformSession.DatabaseVariable}, else the embedded server)",
    };
}

/// <summary>Where detached work goes on: the local silo keeps working after the command exits.</summary>
public static class DetachGuard
{
    public static void Check(PlatformSession session)
    {
        if (!session.External)
            Console.WriteLine("note: the local silo goes on with the work after this command exits; follow it with `mminterp status`");
    }
}
