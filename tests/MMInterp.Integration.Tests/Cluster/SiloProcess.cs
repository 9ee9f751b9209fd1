using System.Diagnostics;

namespace MMInterp.Integration.Tests.Cluster;

/// <summary>A `mminterp-silo` child process, run from the silo project's own build output.</summary>
public sealed class SiloProcess : IAsyncDisposable
{
    readonly Process _process;
    readonly TaskCompletionSource<string> _up = new(TaskCreationOptions.RunContinuationsAsynchronously);
    readonly List<string> _output = [];

    SiloProcess(Process process) => _process = process;

    public int Id => _process.Id;
    public string Output { get { lock (_output) return string.Join('\n', _output); } }

    public static SiloProcess Start(params string[] args) => Start(new Dictionary<string, string>(), args);

    /// <summary>Starts the silo with extra environment variables (MMINTERP_HOME, MMINTERP_RESUME_SECONDS, ...).</summary>
    public static SiloProcess Start(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(SiloDll());
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["MMINTERP_TELEMETRY"] = "off";
        foreach (var (name, value) in environment) psi.Environment[name] = value;
        var silo = new SiloProcess(Process.Start(psi) ?? throw new InvalidOperationException("could not start mminterp-silo"));
        silo._process.OutputDataReceived += (_, e) => silo.Record(e.Data);
        silo._process.ErrorDataReceived += (_, e) => silo.Record(e.Data);
        silo._process.BeginOutputReadLine();
        silo._process.BeginErrorReadLine();
        silo._process.EnableRaisingEvents = true;
        silo._process.Exited += (_, _) => silo._up.TrySetException(new InvalidOperationException($"mminterp-silo exited early:\n{silo.Output}"));
        return silo;
    }

    /// <summary>Waits for the "up in cluster" line.</summary>
    public Task WaitUpAsync(TimeSpan limit) => _up.Task.WaitAsync(limit);

    /// <summary>SIGTERM, as a process supervisor would send; returns the exit code.</summary>
    public async Task<int> TerminateAsync(TimeSpan limit)
    {
        if (!_process.HasExited)
            using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString()])) await kill.WaitForExitAsync();
        await _process.WaitForExitAsync().WaitAsync(limit);
        return _process.ExitCode;
    }

    public bool HasExited => _process.HasExited;

    /// <summary>SIGKILL (kill -9): the process gets no chance to hand anything off, as in a machine or OOM crash.</summary>
    public async Task KillAsync(TimeSpan limit)
    {
        using (var kill = Process.Start("kill", ["-KILL", _process.Id.ToString()])) await kill.WaitForExitAsync();
        await _process.WaitForExitAsync().WaitAsync(limit);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited) { _process.Kill(entireProcessTree: true); await _process.WaitForExitAsync(); }
        _process.Dispose();
    }

    void Record(string? line)
    {
        if (line is null) return;
        lock (_output) _output.Add(line);
        if (line.Contains("up in cluster", StringComparison.Ordinal)) _up.TrySetResult(line);
    }

    /// <summary>src/Silo/bin/{Configuration}/net10.0/mminterp-silo.dll next to this test's own output.</summary>
    static string SiloDll()
    {
        var testBin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var (framework, configuration) = (testBin.Name, testBin.Parent!.Name);
        for (var dir = testBin; dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "src", "Silo", "bin", configuration, framework, "mminterp-silo.dll");
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException($"mminterp-silo.dll not found under src/Silo/bin/{configuration}/{framework}; build src/Silo first");
    }
}
