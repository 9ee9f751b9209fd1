using System.CommandLine;
using System.Diagnostics;
using System.Text.RegularExpressions;
using MMInterp.Client.Commands;
using Xunit;

namespace MMInterp.Client.Tests.Cli;

/// <summary>
/// The CLI's parsers under generated hostile arguments (fixed seed, bounded count): every command path of the catalog,
/// random subsets of its options with values from a pool of bad numbers, bad specs, odd text and traversal paths,
/// unknown flags and stray arguments. The database is unreachable, so nothing stored can change; what is asserted is
/// that the program always ends with an exit code of its own (never an abort or a segfault) and never prints a stack
/// trace, whatever it was given.
/// </summary>
public sealed partial class CliFuzzTests : IDisposable
{
    const int Seed = 23, Invocations = 48;

    static readonly string[] Values =
    [
        "", "-1", "0", "1", "2147483647", "-2147483648", "99999999999999999999", "1e400", "NaN", "-Infinity", "0.5", "abc",
        "a,b,,c", "../fuzz-out", "x/../../fuzz-y", "\u00e9t\u00e9 \ud83d\udca5", "\u202eevil", new string('a', 5000), "-", "sae.K=abc", "sae.K=-1,8",
        "training.Lr=0", "shapes:train:-5", "shapes:nope:10", "shapes:train:99999999999", "images:", "csv:/nonexistent/x.csv",
        "parquet:", "hook@t=", "denoiser.blocks.0.hook_resid_post@t=2", "vision.blocks.99.hook_resid_post", "true", "clip-hf-000000000000",
        "'; DROP TABLE models; --", "%00", "C:\\windows", "~", "cuda:99", "bogus",
    ];

    readonly string _root = Path.Combine(Path.GetTempPath(), $"mminterp-clifuzz-{Guid.NewGuid():N}");

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task HostileArgumentsNeverCrashOrPrintAStackTrace()
    {
        // Relative paths in the pool climb at most two levels: they stay inside this test's directory.
        var work = Path.Combine(_root, "work", "a", "b");
        Directory.CreateDirectory(work);
        var rng = new Random(Seed);
        var leaves = Leaves().ToList();
        var failures = new List<string>();
        for (var i = 0; i < Invocations; i += 2)
        {
            var batch = Enumerable.Range(0, 2).Select(_ => Generate(rng, leaves[rng.Next(leaves.Count)])).ToList();
            foreach (var (args, run) in batch.Zip(await Task.WhenAll(batch.Select(a => RunAsync(work, a)))))
            {
                var shown = string.Join(' ', args.Select(a => a.Length > 40 ? a[..40] + "..." : a));
                if (run.Code is 134 or 139 or < 0 or (> 2 and not 130)) failures.Add($"exit {run.Code}: mminterp {shown}\n{Tail(run.Err)}");
                else if (run.Err.Contains("Unhandled exception", StringComparison.Ordinal) || StackFrame().IsMatch(run.Err) || StackFrame().IsMatch(run.Out))
                    failures.Add($"stack trace: mminterp {shown}\n{Tail(run.Err)}");
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
    }

    /// <summary>Every runnable command path: "extract", "registry list", ... (not `serve`, which runs until stopped).</summary>
    static IEnumerable<(string[] Path, Command Command)> Leaves()
    {
        static IEnumerable<(string[], Command)> Walk(string[] path, Command c)
        {
            if (c.Subcommands.Count == 0) yield return (path, c);
            foreach (var s in c.Subcommands)
                foreach (var leaf in Walk([.. path, s.Name], s)) yield return leaf;
        }
        return CommandCatalog.All().Where(c => c.Name != "serve").SelectMany(c => Walk([c.Name], c));
    }

    static string[] Generate(Random rng, (string[] Path, Command Command) leaf)
    {
        var args = new List<string>(leaf.Path);
        foreach (var _ in leaf.Command.Arguments) args.Add(Pick(rng));
        foreach (var option in leaf.Command.Options.Where(_ => rng.NextDouble() < 0.5))
        {
            if (option.Name == "--db") continue; // the unreachable database of the environment stays in force
            args.Add(option.Name);
            if (rng.NextDouble() < 0.9) args.Add(Pick(rng));
        }
        if (rng.NextDouble() < 0.2) args.Add("--no-such-flag");
        if (rng.NextDouble() < 0.2) args.Add(Pick(rng));
        return [.. args];
    }

    static string Pick(Random rng) => Values[rng.Next(Values.Length)];

    async Task<(int Code, string Out, string Err)> RunAsync(string work, string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = work };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "mminterp.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["MMINTERP_DB"] = "Host=127.0.0.1;Port=1;Username=nobody;Database=nothing;Timeout=2";
        psi.Environment["MMINTERP_HOME"] = Path.Combine(_root, "home");
        psi.Environment["MMINTERP_TELEMETRY"] = "off";
        psi.Environment.Remove("MMINTERP_CLUSTER");
        psi.Environment.Remove("MMINTERP_DEBUG");
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try { await p.WaitForExitAsync(timeout.Token); }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            return (-1, await stdout, "timed out after 2 minutes\n" + await stderr);
        }
        return (p.ExitCode, await stdout, await stderr);
    }

    static string Tail(string text) => string.Join('\n', text.Split('\n').TakeLast(8));

    [GeneratedRegex(@"^\s+at [\w.<>`]+[.(]", RegexOptions.Multiline)]
    private static partial Regex StackFrame();
}
