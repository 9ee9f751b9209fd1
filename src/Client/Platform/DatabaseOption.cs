using System.CommandLine;

namespace MMInterp.Client.Platform;

public static class DatabaseOption
{
    public static Option<string?> Create() => new("--db")
    {
        Description = $"PostgreSQL connection string of the platform (default: ${PlatformSession.DatabaseVariable}, else the embedded server)",
    };
}

/// <summary>An in-process silo dies with the command, so detaching only makes sense against an external cluster.</summary>
public static class DetachGuard
{
    public static void Check(PlatformSession session)
    {
        if (!session.External)
            Console.WriteLine("note: with the embedded silo the work pauses when this command exits; the next mminterp command resumes it (set MMINTERP_CLUSTER=external to use running silos)");
    }
}
