using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Silo.Hosting;
using Orleans.Configuration;

namespace MMInterp.Bench;

/// <summary>
/// `mminterp-silo` processes (role both) forming one cluster over a database, and an Orleans client to it. Silos can
/// be killed (SIGKILL, as a crash) and added while jobs run: the reliability benchmark's faults.
/// </summary>
sealed class BenchCluster : IAsyncDisposable
{
    readonly string _db, _home, _id;
    readonly IReadOnlyDictionary<string, string> _env;
    int _started;
    IHost? _client;

    BenchCluster(string db, string home, string id, IReadOnlyDictionary<string, string> env) => (_db, _home, _id, _env) = (db, home, id, env);

    public List<Process> Silos { get; } = [];
    public IClusterClient Grains => _client!.Services.GetRequiredService<IClusterClient>();

    /// <summary><paramref name="count"/> silos of cluster (and service) id <paramref name="id"/>, each with <paramref name="env"/> added.</summary>
    public static async Task<BenchCluster> StartAsync(string db, string home, int count, string? id = null, IReadOnlyDictionary<string, string>? env = null)
    {
        // Own cluster and service ids: grain state and reminders of one cluster are invisible to another.
        var cluster = new BenchCluster(db, home, id ?? $"bench-{count}", env ?? new Dictionary<string, string>());
        await Task.WhenAll(Enumerable.Range(0, count).Select(_ => cluster.AddSiloAsync())).WaitAsync(TimeSpan.FromMinutes(3));

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.UseOrleansClient(c =>
        {
            c.Configure<ClusterOptions>(o => { o.ClusterId = cluster._id; o.ServiceId = cluster._id; });
            c.UseMMInterpPostgres(db);
        });
        cluster._client = builder.Build();
        await cluster._client.StartAsync();
        return cluster;
    }

    /// <summary>Starts one more silo and waits until it is up.</summary>
    public Task AddSiloAsync()
    {
        var (silo, gateway) = (FreePorts.Next(), FreePorts.Next());
        while (gateway == silo) gateway = FreePorts.Next();
        var n = Interlocked.Increment(ref _started);
        var (process, ready) = StartSilo(_home, _env, "--db", _db, "--cluster-id", _id, "--service-id", _id, "--name", $"{_id}-{n}",
            "--silo-port", $"{silo}", "--gateway-port", $"{gateway}", "--role", "both");
        lock (Silos) Silos.Add(process);
        return ready;
    }

    /// <summary>SIGKILL of one live silo: no graceful leave, as in a crash or an out-of-memory kill.</summary>
    public void Kill(Process silo)
    {
        silo.Kill();
        silo.WaitForExit(10_000);
        lock (Silos) Silos.Remove(silo);
        silo.Dispose();
    }

    /// <summary>Starts the job and polls every 10 ms: the wall time is what a waiting user sees, to within that.</summary>
    public async Task<(TimeSpan Wall, DateTimeOffset Started, IReadOnlyList<ShardOutput> Shards)> RunJobAsync(string jobId, ExtractionJobSpec spec)
    {
        var job = Grains.GetGrain<IExtractionJobGrain>(jobId);
        var started = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        await job.Start(spec);
        JobProgress p;
        while (!(p = await job.Status()).Finished)
        {
            if (clock.Elapsed > TimeSpan.FromMinutes(10)) throw new TimeoutException($"job {jobId} not done after 10 minutes: {p}");
            await Task.Delay(10);
        }
        var wall = clock.Elapsed;
        if (p.Phase != JobPhase.Succeeded) throw new InvalidOperationException($"job {jobId} {p.Phase}: {p.Error}");
        return (wall, started, await job.Outputs());
    }

    static (Process, Task) StartSilo(string home, IReadOnlyDictionary<string, string> env, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(SiloDll());
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["MMINTERP_HOME"] = home;
        psi.Environment["MMINTERP_TELEMETRY"] = "off";
        foreach (var (k, v) in env) psi.Environment[k] = v;
        var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start mminterp-silo");
        var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var log = new List<string>();
        void Line(string? line)
        {
            if (line is null) return;
            lock (log) log.Add(line);
            if (line.Contains("up in cluster", StringComparison.Ordinal)) up.TrySetResult();
        }
        process.OutputDataReceived += (_, e) => Line(e.Data);
        process.ErrorDataReceived += (_, e) => Line(e.Data);
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => { lock (log) up.TrySetException(new InvalidOperationException($"mminterp-silo exited:\n{string.Join('\n', log)}")); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return (process, up.Task);
    }

    /// <summary>The silo's own build output (src/Silo/bin/{Configuration}/{framework}), built along with this bench.</summary>
    static string SiloDll() => BuildOutput.Find("Silo", "mminterp-silo.dll");

    public async ValueTask DisposeAsync()
    {
        if (_client is not null)
        {
            try { await _client.StopAsync(TimeSpan.FromSeconds(10)); } catch (Exception) { }
            _client.Dispose();
        }
        foreach (var p in Silos.ToList())
        {
            // SIGTERM: a graceful leave, as a supervisor would stop them.
            if (!p.HasExited) using (var kill = Process.Start("kill", ["-TERM", p.Id.ToString()])) await kill.WaitForExitAsync();
            try { await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30)); }
            catch (TimeoutException) { p.Kill(entireProcessTree: true); }
            p.Dispose();
        }
    }
}

/// <summary>Finds a project's build output beside this bench's (src/{project}/bin/{Configuration}/{framework}/{file}).</summary>
static class BuildOutput
{
    public static string Find(string project, string file)
    {
        var bin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var (framework, configuration) = (bin.Name, bin.Parent!.Name);
        for (var dir = bin; dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "src", project, "bin", configuration, framework, file);
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException($"{file} not found under src/{project}/bin/{configuration}/{framework}; build src/{project} first");
    }
}
