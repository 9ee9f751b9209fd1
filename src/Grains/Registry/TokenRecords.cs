namespace MMInterp.Grains.Registry;

/// <summary>Who a verified token speaks for and what it may do.</summary>
[GenerateSerializer, Immutable]
public sealed record TokenPrincipal(string TokenId, string UserId, string ProjectId, IReadOnlyList<TokenScope> Scopes)
{
    /// <summary>Admin includes write, write includes read.</summary>
    public bool Allows(TokenScope required) => Scopes.Any(s => s >= required);
}

/// <summary>A newly created token. <paramref name="Token"/> is shown once; only its hash is stored.</summary>
[GenerateSerializer, Immutable]
public sealed record CreatedToken(string Token, string TokenId, string UserId, string ProjectId, IReadOnlyList<TokenScope> Scopes, DateTimeOffset? ExpiresAt);

[GenerateSerializer, Immutable]
public sealed record ProjectRecord(string Id, string Name, string Description, DateTimeOffset CreatedAt);

[GenerateSerializer, Immutable]
public sealed record UserRecord(string Id, string DisplayName, DateTimeOffset CreatedAt);

/// <summary>A stored token as `token list` shows it: who, what scopes, when made, used, expires or was revoked (never its secret).</summary>
[GenerateSerializer, Immutable]
public sealed record TokenInfo(string TokenId, string UserId, string ProjectId, IReadOnlyList<TokenScope> Scopes, string Description,
    DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt, DateTimeOffset? LastUsedAt);
