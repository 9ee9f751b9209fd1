using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace MMInterp.Silo.Storage;

/// <summary>
/// Applies the ordered SQL files of infra/sql (embedded in this assembly) that the database has not seen yet.
/// Each file runs once, in its own transaction, and is recorded with its sha256 in schema_migrations.
/// An advisory lock serialises silos that start together; an applied file whose text later changed is an error,
/// since silently skipping it would leave the schema different from what the code expects.
/// </summary>
public static class Migrations
{
    const long AdvisoryLockKey = 0x4D4D_496E_7465_7270; // "MMInterp"

    public sealed record Migration(string Version, string Name, string Sql, string Sha256);

    /// <summary>All migrations shipped with this build, in order.</summary>
    public static IReadOnlyList<Migration> Embedded()
    {
        var asm = typeof(Migrations).Assembly;
        return asm.GetManifestResourceNames()
            .Where(n => n.StartsWith("sql/", StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Select(n => Load(asm, n))
            .OrderBy(m => m.Version, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>Applies pending migrations; returns the names applied now (empty when up to date).</summary>
    public static async Task<IReadOnlyList<string>> ApplyAsync(string connectionString, CancellationToken ct = default)
    {
        var all = Embedded();
        var duplicate = all.GroupBy(m => m.Version).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new InvalidOperationException($"two migrations share version {duplicate.Key}: {string.Join(", ", duplicate.Select(m => m.Name))}");

        await using var conn = await PostgresConnections.OpenAsync(connectionString, ct);
        await Exec(conn, null, "SELECT pg_advisory_lock($1)", ct, AdvisoryLockKey);
        try
        {
            await Exec(conn, null, """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version    text PRIMARY KEY,
                    name       text NOT NULL,
                    sha256     text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now())
                """, ct);
            var applied = new Dictionary<string, string>();
            await using (var read = new NpgsqlCommand("SELECT version, sha256 FROM schema_migrations", conn))
            await using (var r = await read.ExecuteReaderAsync(ct))
                while (await r.ReadAsync(ct)) applied[r.GetString(0)] = r.GetString(1);

            var done = new List<string>();
            foreach (var m in all)
            {
                if (applied.TryGetValue(m.Version, out var sha))
                {
                    if (sha != m.Sha256)
                        throw new InvalidOperationException($"migration {m.Name} was applied with different text (sha256 {sha[..12]}..., now {m.Sha256[..12]}...); add a new migration instead of editing an applied one");
                    continue;
                }
                await using var tx = await conn.BeginTransactionAsync(ct);
                try
                {
                    await Exec(conn, tx, m.Sql, ct);
                }
                catch (PostgresException e)
                {
                    throw new InvalidOperationException($"migration {m.Name} failed: {e.MessageText} (line {e.Line}, {e.Where})", e);
                }
                await Exec(conn, tx, "INSERT INTO schema_migrations(version, name, sha256) VALUES ($1, $2, $3)", ct, m.Version, m.Name, m.Sha256);
                await tx.CommitAsync(ct);
                done.Add(m.Name);
            }
            return done;
        }
        finally
        {
            await Exec(conn, null, "SELECT pg_advisory_unlock($1)", CancellationToken.None, AdvisoryLockKey);
        }
    }

    static Migration Load(Assembly asm, string resource)
    {
        using var s = asm.GetManifestResourceStream(resource)!;
        using var reader = new StreamReader(s, Encoding.UTF8);
        var sql = reader.ReadToEnd();
        var name = resource["sql/".Length..];
        var underscore = name.IndexOf('_');
        if (underscore <= 0 || !name[..underscore].All(char.IsAsciiDigit))
            throw new InvalidOperationException($"migration file '{name}' must be named NNNN_description.sql");
        var sha = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sql)));
        return new Migration(name[..underscore], name, sql, sha);
    }

    static async Task Exec(NpgsqlConnection conn, NpgsqlTransaction? tx, string sql, CancellationToken ct, params object[] args)
    {
        await using var cmd = new NpgsqlCommand(sql, conn, tx);
        foreach (var a in args) cmd.Parameters.Add(new NpgsqlParameter { Value = a });
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
