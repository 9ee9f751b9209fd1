using System.Security.Cryptography;
using System.Text;
using MMInterp.Grains.Contracts;

namespace MMInterp.Grains.Registry;

/// <summary>
/// API tokens: 'mmi_&lt;id&gt;_&lt;secret&gt;'. The id finds the row; only sha256(secret) is stored and compared in
/// constant time. The secret is 32 random bytes, so a plain hash suffices (no guessable password to stretch).
/// </summary>
public sealed class TokenRepository
{
    const string Prefix = "mmi_";
    readonly RegistryDb _db;

    internal TokenRepository(RegistryDb db) => _db = db;

    /// <summary>Creates a user if missing (display name is updated when given).</summary>
    public async Task<UserRecord> EnsureUserAsync(string userId, string displayName = "", CancellationToken ct = default)
    {
        if (userId is null || userId.Length is < 1 or > 128 || !char.IsAsciiLetterOrDigit(userId[0])
            || !userId.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '@' or '-'))
            throw new ArgumentException($"user id must be 1-128 chars of [A-Za-z0-9._@-], got '{userId}'");
        var rows = await _db.QueryAsync("""
            INSERT INTO users (id, display_name) VALUES ($1, $2)
            ON CONFLICT (id) DO UPDATE SET display_name = CASE WHEN EXCLUDED.display_name = '' THEN users.display_name ELSE EXCLUDED.display_name END
            RETURNING id, display_name, created_at
            """, r => new UserRecord(r.GetString(0), r.GetString(1), r.Time(2)), ct, userId, displayName ?? "");
        return rows.Single();
    }

    /// <summary>Creates a token for an existing user and project. The returned <see cref="CreatedToken.Token"/> is not stored.</summary>
    public async Task<CreatedToken> CreateAsync(string userId, IReadOnlyCollection<TokenScope> scopes, string projectId = RegistryIds.DefaultProject,
        string description = "", DateTimeOffset? expiresAt = null, CancellationToken ct = default)
    {
        if (scopes is null || scopes.Count == 0) throw new ArgumentException("a token needs at least one scope (read, write, admin)");
        if (scopes.Any(s => !Enum.IsDefined(s))) throw new ArgumentException("unknown token scope");
        RegistryIds.Validate(projectId, "project id");
        var distinct = scopes.Distinct().Order().ToArray();
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        var secret = RandomNumberGenerator.GetBytes(32);
        var secretText = Convert.ToBase64String(secret).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        await _db.ExecuteAsync("""
            INSERT INTO api_tokens (id, user_id, project_id, secret_hash, scopes, description, expires_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            """, ct, id, userId, projectId, Hash(secretText), distinct.Select(RegistryNames.Name).ToArray(), description ?? "",
            new Npgsql.NpgsqlParameter { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz, Value = (object?)expiresAt?.ToUniversalTime() ?? DBNull.Value });
        return new CreatedToken($"{Prefix}{id}_{secretText}", id, userId, projectId, distinct, expiresAt);
    }

    /// <summary>
    /// The principal behind <paramref name="token"/>, or null when the token is malformed, unknown, wrong,
    /// revoked or expired (callers answer all of these the same way: unauthorised).
    /// </summary>
    public async Task<TokenPrincipal?> VerifyAsync(string? token, CancellationToken ct = default)
    {
        if (!TrySplit(token, out var id, out var secret)) return null;
        var rows = await _db.QueryAsync("""
            SELECT secret_hash, user_id, project_id, scopes FROM api_tokens
            WHERE id = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())
            """, r => (Hash: r.GetFieldValue<byte[]>(0), User: r.GetString(1), Project: r.GetString(2), Scopes: r.Strings(3)), ct, id);
        if (rows.Count == 0) return null;
        var row = rows[0];
        if (!CryptographicOperations.FixedTimeEquals(row.Hash, Hash(secret))) return null;
        // Only a token whose secret verified is marked used: a guess at the secret (right id, wrong secret) changes nothing.
        // The revocation test is repeated so a token revoked between the two statements is refused, not marked.
        var marked = await _db.ExecuteAsync("""
            UPDATE api_tokens SET last_used_at = now()
            WHERE id = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())
            """, ct, id);
        if (marked == 0) return null;
        return new TokenPrincipal(id, row.User, row.Project, row.Scopes.Select(RegistryNames.ParseScope).Order().ToArray());
    }

    /// <summary>Verifies and checks a scope; throws <see cref="UnauthorizedAccessException"/> with the reason otherwise.</summary>
    public async Task<TokenPrincipal> RequireAsync(string? token, TokenScope required, CancellationToken ct = default)
    {
        var principal = await VerifyAsync(token, ct) ?? throw new UnauthorizedAccessException("invalid, revoked or expired API token");
        if (!principal.Allows(required))
            throw new UnauthorizedAccessException($"API token {principal.TokenId} lacks the '{RegistryNames.Name(required)}' scope (has: {string.Join(", ", principal.Scopes.Select(RegistryNames.Name))})");
        return principal;
    }

    public async Task RevokeAsync(string tokenId, CancellationToken ct = default)
    {
        var n = await _db.ExecuteAsync("UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1", ct, tokenId);
        if (n == 0) throw new RegistryNotFoundException($"no API token '{tokenId}'");
    }

    /// <summary>Every token (never its secret), newest first; revoked and expired ones only when asked.</summary>
    public Task<List<TokenInfo>> ListAsync(bool includeInactive = false, int limit = 100, CancellationToken ct = default) =>
        _db.QueryAsync("""
            SELECT id, user_id, project_id, scopes, description, created_at, expires_at, revoked_at, last_used_at FROM api_tokens
            WHERE $1 OR (revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now()))
            ORDER BY created_at DESC, id LIMIT $2
            """, r => new TokenInfo(r.GetString(0), r.GetString(1), r.GetString(2), r.Strings(3).Select(RegistryNames.ParseScope).Order().ToArray(),
                r.GetString(4), r.Time(5), r.TimeOrNull(6), r.TimeOrNull(7), r.TimeOrNull(8)), ct, includeInactive, RegistryLimits.Check(limit));

    static bool TrySplit(string? token, out string id, out string secret)
    {
        id = secret = "";
        if (token is null || !token.StartsWith(Prefix, StringComparison.Ordinal)) return false;
        var rest = token[Prefix.Length..];
        var cut = rest.IndexOf('_');
        if (cut is < 8 or > 32) return false;
        id = rest[..cut];
        secret = rest[(cut + 1)..];
        return id.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'z') && secret.Length > 0;
    }

    static byte[] Hash(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));
}
