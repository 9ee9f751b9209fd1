using System.Diagnostics;
using MMInterp.Grains.Registry;
using Xunit;

namespace MMInterp.Client.Tests.Web;

/// <summary>`mminterp token create|revoke` as a process: the token is printed once on stdout, revoking stops it.</summary>
[Collection(WebCollection.Name)]
public class TokenCommandTests(WebFixture web)
{
    [Fact]
    public async Task CreatePrintsAWorkingTokenAndRevokeStopsIt()
    {
        var created = await RunAsync("token", "create", "--user", "carol", "--scope", "write", "--description", "ci", "--db", web.ConnectionString);
        Assert.Equal(0, created.Code);
        var token = created.Out.Trim();
        Assert.Matches("^mmi_[0-9a-f]{16}_[A-Za-z0-9_-]+$", token);
        var principal = await web.Registry.Tokens.VerifyAsync(token);
        Assert.NotNull(principal);
        Assert.Equal(("carol", true), (principal.UserId, principal.Allows(TokenScope.Write)));
        Assert.Contains($"mminterp token revoke {principal.TokenId}", created.Err);

        var revoked = await RunAsync("token", "revoke", principal.TokenId, "--db", web.ConnectionString);
        Assert.Equal((0, $"revoked {principal.TokenId}"), (revoked.Code, revoked.Out.Trim()));
        Assert.Null(await web.Registry.Tokens.VerifyAsync(token));

        var unknown = await RunAsync("token", "revoke", "0000000000000000", "--db", web.ConnectionString);
        Assert.Equal((2, "error: no API token '0000000000000000'"), (unknown.Code, unknown.Err.Trim()));
        var badUser = await RunAsync("token", "create", "--user", "no spaces", "--db", web.ConnectionString);
        Assert.Equal(2, badUser.Code);
        Assert.StartsWith("error: user id must be 1-128 chars", badUser.Err.Trim());
    }

    static async Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "mminterp.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return (p.ExitCode, await stdout, await stderr);
    }
}
