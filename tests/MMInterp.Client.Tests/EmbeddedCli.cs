using System.Diagnostics;
using MMInterp.Silo.Storage;

namespace MMInterp.Client.Tests;

/// <summary>
/// The `mminterp` program as a user runs it on the embedded default (its own PostgreSQL, an in-process silo), with
/// every location redirected to temp directories that this object owns: it stops the local silo and the database
/// server the CLI leaves running for the next command and deletes both directories when disposed.
/// </summary>
public sealed class EmbeddedCli(string name) : IAsyncDisposable
{
    public string Home { get; } = Path.Combine(Path.GetTempPath(), $"mminterp-{name}-{Guid.NewGuid():N}");
    public string PgData { get; } = Path.Combine(Environment.IsPrivilegedProcess ? "/var/tmp" : Path.GetTempPath(), $"mminterp-{name}-pg-{Guid.NewGuid():N}");
    public int PgPort { get; } = MMInterp.Silo.Hosting.FreePorts.Next();

    /// <summary>The registry database the program's embedded server holds.</summary>
    public string ConnectionString => new LocalPostgresOptions(PgData, PgPort).ConnectionString;

    /// <summary>More environment for the program (and the local silo it starts).</summary>
    public Dictionary<string, string> ExtraEnvironment { get; } = [];

    public async Task<(int Code, string Output)> RunAsync(TimeSpan timeout, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "mminterp.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["MMINTERP_PGDATA"] = PgData;
        psi.Environment["MMINTERP_PGPORT"] = PgPort.ToString();
        psi.Environment["MMINTERP_HOME"] = Home;
        psi.Environment.Remove("MMINTERP_DB");
        psi.Environment.Remove("MMINTERP_CLUSTER");
        foreach (var (k, v) in ExtraEnvironment) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        await p.WaitForExitAsync(cts.Token);
        return (p.ExitCode, await stdout + await stderr);
    }

    public async ValueTask DisposeAsync()
    {
        // The local silo the commands started (it would stop by itself once idle, but not before the test run ends).
        await MMInterp.Client.Platform.LocalSilo.StopAllAsync(Home);
        if (Directory.Exists(PgData))
        {
            var pg = await LocalPostgres.StartAsync(new LocalPostgresOptions(PgData, PgPort));
            await pg.StopAsync();
            try { Directory.Delete(PgData, recursive: true); } catch (IOException) { }
        }
        try { Directory.Delete(Home, recursive: true); } catch (IOException) { }
    }
}
