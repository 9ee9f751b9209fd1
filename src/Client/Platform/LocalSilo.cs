using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MMInterp.Silo.Hosting;
using MMInterp.Silo.Storage;
using Npgsql;

namespace MMInterp.Client.Platform;

/// <summary>
/// The machine's one local silo per database: every CLI and `serve` process on the embedded default connects to it as
/// an Orleans client, so Orleans' single activation holds between them (a second start of a running job attaches to
/// the one execution). The first process that needs it starts `mminterp local-silo --local` detached (its log in
/// MMINTERP_HOME/silo), under a file lock so two processes cannot start two; a record beside the lock names its
/// process, ports, cluster id and build. A silo of another build (the program was rebuilt) is stopped and replaced;
/// a dead one's record is replaced. The silo stops by itself after <see cref="SiloCommandLine.LocalIdleMinutes"/>
/// minutes with no client and no work.
/// </summary>
public static class LocalSilo
{
    /// <summary>What a running local silo's record holds.</summary>
    public sealed record Record(int Pid, string ClusterId, int SiloPort, int GatewayPort, string Build, string Log);

    /// <summary>The program's hidden verb that runs the local silo (the silo program's flags follow it).</summary>
    public const string Verb = "local-silo";

    static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

    /// <summary>The build of this program (its assemblies' module ids): a silo of another build is not reused.</summary>
    static string Build => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join(",",
        new[] { typeof(LocalSilo), typeof(MMInterpSiloHost), typeof(Grains.Registry.RegistryStore), typeof(Kernels.Artefacts.ArtefactStore) }
            .Select(t => t.Assembly.ManifestModule.ModuleVersionId)))))[..16];

    public static string Directory(string home) => Path.Combine(home, "silo");

    /// <summary>The running local silo for <paramref name="connectionString"/>, started first when there is none.</summary>
    public static async Task<Record> EnsureAsync(string home, string connectionString, CancellationToken ct)
    {
        var dir = Directory(home);
        System.IO.Directory.CreateDirectory(dir);
        var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(connectionString)))[..12];
        var recordPath = Path.Combine(dir, $"{key}.json");
        await using var held = await LockAsync(Path.Combine(dir, $"{key}.lock"), ct);
        if (Read(recordPath) is { } existing)
        {
            if (Alive(existing.Pid) && existing.Build == Build) return existing;
            if (Alive(existing.Pid)) await StopAsync(existing, ct);
            await RunningSilo.DeleteMembershipAsync(connectionString, existing.ClusterId, ct);
            File.Delete(recordPath);
        }
        var record = await StartAsync(dir, key, connectionString, ct);
        await File.WriteAllTextAsync(recordPath, JsonSerializer.Serialize(record), ct);
        return record;
    }

    /// <summary>Stops every local silo recorded under <paramref name="home"/> (tests, and `mminterp` operators).</summary>
    public static async Task StopAllAsync(string home, CancellationToken ct = default)
    {
        var dir = Directory(home);
        if (!System.IO.Directory.Exists(dir)) return;
        foreach (var path in System.IO.Directory.EnumerateFiles(dir, "*.json"))
        {
            if (Read(path) is { } record && Alive(record.Pid)) await StopAsync(record, ct);
            File.Delete(path);
        }
    }

    static async Task<Record> StartAsync(string dir, string key, string connectionString, CancellationToken ct)
    {
        var siloPort = FreePorts.Next();
        var gatewayPort = FreePorts.Next();
        while (gatewayPort == siloPort) gatewayPort = FreePorts.Next();
        var clusterId = $"local-{key}-{DateTimeOffset.UtcNow.ToUnixTimeSeconds()}";
        var log = Path.Combine(dir, $"{key}.log");
        var silo = Path.Combine(AppContext.BaseDirectory, "mminterp.dll");
        // setsid: the silo leaves this process's session, so neither Ctrl+C here nor this process's exit reaches it;
        // its output goes to the log, never to the pipes of whoever runs this command.
        var psi = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add($"setsid dotnet \"$0\" {Verb} --local --silo-port \"$1\" --gateway-port \"$2\" --cluster-id \"$3\" --name local "
                             + ">> \"$4\" 2>&1 < /dev/null & echo $!");
        foreach (var a in new[] { silo, siloPort.ToString(), gatewayPort.ToString(), clusterId, log }) psi.ArgumentList.Add(a);
        psi.Environment["MMINTERP_DB"] = connectionString; // not on the command line, where `ps` shows it
        using var shell = Process.Start(psi)!;
        var pidText = await shell.StandardOutput.ReadToEndAsync(ct);
        await shell.WaitForExitAsync(ct);
        if (!int.TryParse(pidText.Trim(), out var pid)) throw new InvalidOperationException($"could not start the local silo ({silo})");

        var record = new Record(pid, clusterId, siloPort, gatewayPort, Build, log);
        var deadline = DateTimeOffset.UtcNow + StartTimeout;
        while (!await ActiveAsync(connectionString, clusterId, ct))
        {
            if (!Alive(pid)) throw new InvalidOperationException($"the local silo did not start: {LastLine(log)} (log: {log})");
            if (DateTimeOffset.UtcNow > deadline)
            {
                await StopAsync(record, ct);
                throw new TimeoutException($"the local silo did not join its cluster within {StartTimeout.TotalMinutes:F0} minutes (log: {log})");
            }
            await Task.Delay(250, ct);
        }
        return record;
    }

    /// <summary>SIGTERM (a graceful stop: grains hand off, membership is dropped), then SIGKILL after 30 s.</summary>
    static async Task StopAsync(Record record, CancellationToken ct)
    {
        _ = Kill(record.Pid, 15);
        var deadline = DateTimeOffset.UtcNow.AddSeconds(30);
        while (Alive(record.Pid) && DateTimeOffset.UtcNow < deadline) await Task.Delay(200, ct);
        if (Alive(record.Pid)) _ = Kill(record.Pid, 9);
    }

    /// <summary>Whether the silo is active in membership: clients find gateways there, so they can connect from then on.</summary>
    static async Task<bool> ActiveAsync(string connectionString, string clusterId, CancellationToken ct)
    {
        try
        {
            await using var conn = await PostgresConnections.OpenAsync(connectionString, ct);
            await using var cmd = new NpgsqlCommand("SELECT count(*) FROM OrleansMembershipTable WHERE DeploymentId = @id AND Status = 3", conn);
            cmd.Parameters.AddWithValue("id", clusterId);
            return (long)(await cmd.ExecuteScalarAsync(ct))! > 0;
        }
        catch (NpgsqlException) { return false; }
    }

    /// <summary>An exclusive lock file, waited for: the process holding it is starting or checking the silo.</summary>
    static async Task<FileStream> LockAsync(string path, CancellationToken ct)
    {
        var deadline = DateTimeOffset.UtcNow + StartTimeout + TimeSpan.FromMinutes(1);
        while (true)
        {
            try { return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
            catch (IOException) when (DateTimeOffset.UtcNow < deadline) { await Task.Delay(200, ct); }
        }
    }

    static Record? Read(string path)
    {
        try { return File.Exists(path) ? JsonSerializer.Deserialize<Record>(File.ReadAllText(path)) : null; }
        catch (JsonException) { return null; }
    }

    static string LastLine(string log)
    {
        try { return File.ReadLines(log).LastOrDefault(l => l.Trim().Length > 0)?.Trim() ?? "no output"; }
        catch (IOException) { return "no log"; }
    }

    /// <summary>A live local silo process (a recycled pid of another program is not it).</summary>
    static bool Alive(int pid)
    {
        if (Kill(pid, 0) != 0) return false;
        try { return File.ReadAllText($"/proc/{pid}/cmdline").Contains(Verb, StringComparison.Ordinal); }
        catch (IOException) { return false; }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    static extern int Kill(int pid, int signal);
}
