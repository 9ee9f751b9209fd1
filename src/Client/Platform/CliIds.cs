namespace MMInterp.Client.Platform;

/// <summary>Readable, unique ids for jobs the CLI starts: kind, UTC time, and a short random suffix.</summary>
public static class CliIds
{
    public static string New(string kind) => $"{kind}-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..6]}";
}
