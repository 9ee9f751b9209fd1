using System.Diagnostics;
using Xunit;

namespace MMInterp.Client.Tests.Cli;

/// <summary>
/// The built `mminterp` program, run as a user runs it: a command line the parser refuses is exactly one line on
/// stderr naming the problem and the command's help, nothing on stdout, and exit code 2 (not the help page and 1).
/// </summary>
public sealed class ParseErrorTests
{
    static async Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "mminterp.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        // Nothing reachable: a parse error must be reported before anything is opened.
        psi.Environment["MMINTERP_DB"] = "Host=127.0.0.1;Port=1;Database=none;Timeout=1";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await p.WaitForExitAsync(cts.Token);
        return (p.ExitCode, await stdout, await stderr);
    }

    [Theory]
    [InlineData(new[] { "status", "--bogus" }, "--bogus", "mminterp status --help")]
    [InlineData(new[] { "registry", "list", "widgets" }, "widgets", "mminterp registry list --help")]
    [InlineData(new[] { "sweep", "--grid", "sae.K=8" }, "--activations", "mminterp sweep --help")]
    [InlineData(new[] { "extrakt" }, "extrakt", "mminterp --help")]
    public async Task ARefusedCommandLineIsOneLineOnStderrAndExitTwo(string[] args, string named, string help)
    {
        var (code, stdout, stderr) = await RunAsync(args);
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("error: ", lines[0]);
        Assert.Contains(named, lines[0]);
        Assert.Contains(help, lines[0]);
    }

    [Fact]
    public async Task HelpIsStillTheWholePageOnStdoutWithExitZero()
    {
        var (code, stdout, stderr) = await RunAsync("sweep", "--help");
        Assert.Equal(0, code);
        Assert.Equal("", stderr);
        Assert.Contains("--grid", stdout);
    }
}
