using MMInterp.Silo.Storage;
using Npgsql;

namespace MMInterp.Silo.Hosting;

/// <summary>What a silo checks in its database before Orleans starts, each failure as one actionable line.</summary>
public static class DatabasePreflight
{
    /// <summary>Query keys the ADO.NET providers refuse to start without; their presence means 0001-0004 ran.</summary>
    static readonly string[] RequiredQueries = ["GatewaysQueryKey", "InsertMembershipKey", "WriteToStorageKey", "ReadReminderRowsKey"];

    public static async Task CheckAsync(string connectionString, bool applyMigrations, CancellationToken ct = default)
    {
        try
        {
            if (applyMigrations) await Migrations.ApplyAsync(connectionString, ct);
            await using var conn = await PostgresConnections.OpenAsync(connectionString, ct);
            await using var cmd = new NpgsqlCommand(
                "SELECT count(*) FROM OrleansQuery WHERE QueryKey = ANY($1)", conn) { Parameters = { new() { Value = RequiredQueries } } };
            var found = (long)(await cmd.ExecuteScalarAsync(ct))!;
            if (found != RequiredQueries.Length) throw new InvalidOperationException("the Orleans query table is incomplete");
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            throw new SiloStartException($"database '{Database(connectionString)}' has no Orleans schema; start a silo without --no-migrate once to apply it", e);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            throw new SiloStartException(e.Message, e);
        }
    }

    static string? Database(string connectionString) => new NpgsqlConnectionStringBuilder(connectionString).Database;
}
