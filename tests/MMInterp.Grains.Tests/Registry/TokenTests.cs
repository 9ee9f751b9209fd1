using MMInterp.Grains.Contracts;
using MMInterp.Grains.Registry;
using Xunit;

namespace MMInterp.Grains.Tests.Registry;

[Collection(RegistryCollection.Name)]
public class TokenTests(RegistryDatabase db)
{
    TokenRepository Tokens => db.Store.Tokens;

    async Task<string> UserAsync() => (await Tokens.EnsureUserAsync($"u{Guid.NewGuid():N}", "Ada")).Id;

    [Fact]
    public async Task AReadOnlyTokenCannotWrite()
    {
        var created = await Tokens.CreateAsync(await UserAsync(), [TokenScope.Read], description: "dashboard");
        var p = await Tokens.VerifyAsync(created.Token);
        Assert.NotNull(p);
        Assert.Equal([TokenScope.Read], p.Scopes);
        Assert.True(p.Allows(TokenScope.Read));
        Assert.False(p.Allows(TokenScope.Write));
        Assert.False(p.Allows(TokenScope.Admin));
        await Tokens.RequireAsync(created.Token, TokenScope.Read);
        var e = await Assert.ThrowsAsync<UnauthorizedAccessException>(() => Tokens.RequireAsync(created.Token, TokenScope.Write));
        Assert.Contains("lacks the 'write' scope", e.Message);
    }

    [Fact]
    public async Task AdminImpliesWriteAndRead()
    {
        var created = await Tokens.CreateAsync(await UserAsync(), [TokenScope.Admin]);
        var p = await Tokens.RequireAsync(created.Token, TokenScope.Write);
        Assert.True(p.Allows(TokenScope.Read) && p.Allows(TokenScope.Admin));
        Assert.Equal(RegistryIds.DefaultProject, p.ProjectId);
    }

    [Fact]
    public async Task OnlyAHashIsStoredAndWrongTokensVerifyToNothing()
    {
        var created = await Tokens.CreateAsync(await UserAsync(), [TokenScope.Write]);
        var secret = created.Token.Split('_', 3)[2];
        var stored = (byte[])(await db.ScalarAsync("SELECT secret_hash FROM api_tokens WHERE id = $1", created.TokenId))!;
        Assert.Equal(32, stored.Length);
        Assert.DoesNotContain(secret, Convert.ToBase64String(stored));
        Assert.Equal(0L, await db.ScalarAsync("SELECT count(*) FROM api_tokens WHERE position($1 in secret_hash::text) > 0 OR description LIKE '%' || $1 || '%'", secret));

        var last = created.Token[^1];
        Assert.Null(await Tokens.VerifyAsync(created.Token[..^1] + (last == 'A' ? 'B' : 'A')));
        Assert.Null(await Tokens.VerifyAsync("mmi_0000000000000000_" + secret));
        Assert.Null(await Tokens.VerifyAsync("not-a-token"));
        Assert.Null(await Tokens.VerifyAsync(null));
        Assert.NotNull(await Tokens.VerifyAsync(created.Token));
    }

    [Fact]
    public async Task RevokedAndExpiredTokensStopWorking()
    {
        var user = await UserAsync();
        var revoked = await Tokens.CreateAsync(user, [TokenScope.Read]);
        await Tokens.RevokeAsync(revoked.TokenId);
        Assert.Null(await Tokens.VerifyAsync(revoked.Token));

        var expired = await Tokens.CreateAsync(user, [TokenScope.Read], expiresAt: DateTimeOffset.UtcNow.AddSeconds(-1));
        Assert.Null(await Tokens.VerifyAsync(expired.Token));
        var e = await Assert.ThrowsAsync<UnauthorizedAccessException>(() => Tokens.RequireAsync(expired.Token, TokenScope.Read));
        Assert.Contains("invalid, revoked or expired", e.Message);
    }

    [Fact]
    public async Task TokensNeedAKnownUserAndProjectAndAScope()
    {
        await Assert.ThrowsAsync<RegistryReferenceException>(() => Tokens.CreateAsync("nobody-" + Guid.NewGuid().ToString("N"), [TokenScope.Read]));
        var user = await UserAsync();
        await Assert.ThrowsAsync<RegistryReferenceException>(() => Tokens.CreateAsync(user, [TokenScope.Read], projectId: "no-such-project"));
        await Assert.ThrowsAsync<ArgumentException>(() => Tokens.CreateAsync("x", []));

        var project = await db.Store.Projects.CreateAsync($"p{Guid.NewGuid():N}"[..12], "vision team");
        var t = await Tokens.CreateAsync(user, [TokenScope.Write, TokenScope.Read, TokenScope.Write], project.Id);
        Assert.Equal([TokenScope.Read, TokenScope.Write], t.Scopes);
        Assert.Equal(project.Id, (await Tokens.VerifyAsync(t.Token))!.ProjectId);
    }
}
