using System.Diagnostics;
using Npgsql;

namespace MMInterp.Silo.Storage;

/// <summary>
/// A PostgreSQL server owned by the project: initdb on first use, pg_ctl start/stop, database created when missing.
/// When the process runs as root the server programs run as the 'postgres' user, since PostgreSQL refuses root.
/// An already-running server on the same data dir is reused, so several CLI calls share one.
/// </summary>
public sealed class LocalPostgres : IAsyncDisposable
{
    const string ServerUser = "postgres";
    readonly string _bin;
    readonly bool _deleteOnDispose;
    bool _ownsProcess;

    public LocalPostgresOptions Options { get; }

    public string ConnectionString => Options.ConnectionString;

    LocalPostgres(LocalPostgresOptions options, bool deleteOnDispose)
    {
        Options = options.Validated();
        _bin = PostgresBinaries.Directory();
        _deleteOnDispose = deleteOnDispose;
    }

    /// <summary>Starts (or reuses) the server at <paramref name="options"/> and makes sure the database exists.</summary>
    public static async Task<LocalPostgres> StartAsync(LocalPostgresOptions options, CancellationToken ct = default)
    {
        var pg = new LocalPostgres(options, deleteOnDispose: false);
        await pg.StartAgainAsync(ct);
        return pg;
    }

    /// <summary>A fresh server in a temp dir on a free port, stopped and deleted on dispose. For tests.</summary>
    public static async Task<LocalPostgres> StartThrowawayAsync(CancellationToken ct = default)
    {
        var root = Environment.IsPrivilegedProcess ? "/var/tmp" : Path.GetTempPath();
        var dir = Path.Combine(root, $"mminterp-pg-{Guid.NewGuid():N}");
        var pg = new LocalPostgres(new LocalPostgresOptions(dir, Hosting.FreePorts.Next(), Durable: false), deleteOnDispose: true);
        try
        {
            await pg.StartAgainAsync(ct);
        }
        catch
        {
            await pg.DisposeAsync();
            throw;
        }
        return pg;
    }

    /// <summary>Starts the server if it is not running (after <see cref="StopAsync"/>, or the first time).</summary>
    public async Task StartAgainAsync(CancellationToken ct = default)
    {
        var dir = Options.DataDir;
        if (!File.Exists(Path.Combine(dir, "PG_VERSION")))
            await InitDbAsync(dir, ct);
        if (!await IsRunningAsync(ct))
        {
            var settings = $"-p {Options.Port} -k {dir} -c listen_addresses=127.0.0.1 -c max_connections=200"
                           + (Options.Durable ? "" : " -c fsync=off -c synchronous_commit=off -c full_page_writes=off");
            await RunServerProgramAsync("pg_ctl", ["-D", dir, "-l", Path.Combine(dir, "server.log"), "-o", settings, "-w", "-t", "60", "start"], ct);
            _ownsProcess = true;
        }
        await EnsureDatabaseAsync(ct);
    }

    /// <summary>Stops the server (fast shutdown: open sessions are ended, data is kept).</summary>
    public async Task StopAsync(CancellationToken ct = default)
    {
        if (await IsRunningAsync(ct))
            await RunServerProgramAsync("pg_ctl", ["-D", Options.DataDir, "-m", "fast", "-w", "stop"], ct);
        NpgsqlConnection.ClearAllPools();
    }

    public async ValueTask DisposeAsync()
    {
        // A long-lived embedded server is left running for the next CLI call; throwaway ones go away.
        if (!_deleteOnDispose) return;
        try { await StopAsync(); } catch (Exception) { /* best effort: the directory is removed next */ }
        try { Directory.Delete(Options.DataDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>True when this instance started the server process (rather than finding one running).</summary>
    public bool StartedByThisInstance => _ownsProcess;

    async Task InitDbAsync(string dir, CancellationToken ct)
    {
        Directory.CreateDirectory(dir);
        if (Environment.IsPrivilegedProcess && !OperatingSystem.IsWindows())
        {
            // The server user must own the data dir and be able to reach it.
            await RunAsync("chown", ["-R", $"{ServerUser}:{ServerUser}", dir], asServerUser: false, ct);
            await RunAsync("chmod", ["700", dir], asServerUser: false, ct);
            for (var parent = Path.GetDirectoryName(dir); !string.IsNullOrEmpty(parent) && parent != "/"; parent = Path.GetDirectoryName(parent))
                File.SetUnixFileMode(parent, File.GetUnixFileMode(parent) | UnixFileMode.OtherExecute | UnixFileMode.GroupExecute);
        }
        await RunServerProgramAsync("initdb", ["-D", dir, "-U", ServerUser, "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"], ct);
    }

    async Task<bool> IsRunningAsync(CancellationToken ct)
    {
        if (!File.Exists(Path.Combine(Options.DataDir, "postmaster.pid"))) return false;
        var (code, _) = await RunAsync(Path.Combine(_bin, "pg_ctl"), ["-D", Options.DataDir, "status"], Environment.IsPrivilegedProcess, ct, throwOnError: false);
        return code == 0;
    }

    async Task EnsureDatabaseAsync(CancellationToken ct)
    {
        var admin = new NpgsqlConnectionStringBuilder(ConnectionString) { Database = "postgres", Pooling = false }.ConnectionString;
        await using var conn = new NpgsqlConnection(admin);
        await conn.OpenAsync(ct);
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", conn) { Parameters = { new() { Value = Options.Database } } };
        if (await exists.ExecuteScalarAsync(ct) is null)
        {
            // CREATE DATABASE takes no parameters; the name is validated to [A-Za-z0-9_] in the options.
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{Options.Database}\"", conn);
            try { await create.ExecuteNonQueryAsync(ct); }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DuplicateDatabase) { /* another process won the race */ }
        }
    }

    Task RunServerProgramAsync(string program, string[] args, CancellationToken ct) =>
        RunAsync(Path.Combine(_bin, program), args, Environment.IsPrivilegedProcess, ct);

    static async Task<(int Code, string Output)> RunAsync(string file, string[] args, bool asServerUser, CancellationToken ct, bool throwOnError = true)
    {
        var psi = new ProcessStartInfo(asServerUser ? "runuser" : file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = "/",
        };
        if (asServerUser) { psi.ArgumentList.Add("-u"); psi.ArgumentList.Add(ServerUser); psi.ArgumentList.Add("--"); psi.ArgumentList.Add(file); }
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = p.StandardOutput.ReadToEndAsync(ct);
        var stderr = p.StandardError.ReadToEndAsync(ct);
        await p.WaitForExitAsync(ct);
        var output = ((await stdout) + (await stderr)).Trim();
        if (throwOnError && p.ExitCode != 0)
        {
            var lastLines = string.Join(" | ", output.Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(3));
            throw new InvalidOperationException($"{Path.GetFileName(file)} {string.Join(' ', args.Take(2))} failed (exit {p.ExitCode}): {lastLines}");
        }
        return (p.ExitCode, output);
    }
}
