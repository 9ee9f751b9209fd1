using System.Net.Sockets;
using Npgsql;

namespace MMInterp.Silo.Storage;

/// <summary>Opens connections with errors a person can act on instead of driver stack traces.</summary>
public static class PostgresConnections
{
    /// <summary>Checks the connection string's syntax; throws ArgumentException naming what is wrong.</summary>
    public static NpgsqlConnectionStringBuilder Parse(string connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
            throw new ArgumentException("database connection string is empty (set MMINTERP_DB or --db)");
        try
        {
            var b = new NpgsqlConnectionStringBuilder(connectionString);
            if (string.IsNullOrWhiteSpace(b.Host)) throw new ArgumentException("database connection string has no Host");
            return b;
        }
        catch (Exception e) when (e is ArgumentException or FormatException or KeyNotFoundException)
        {
            throw new ArgumentException($"database connection string is malformed: {e.Message}", e);
        }
    }

    public static async Task<NpgsqlConnection> OpenAsync(string connectionString, CancellationToken ct = default)
    {
        var b = Parse(connectionString);
        var conn = new NpgsqlConnection(b.ConnectionString);
        try
        {
            await conn.OpenAsync(ct);
            return conn;
        }
        catch (Exception e) when (e is NpgsqlException or SocketException or TimeoutException)
        {
            await conn.DisposeAsync();
            var why = e is PostgresException pe ? pe.MessageText : (e.InnerException?.Message ?? e.Message);
            throw new InvalidOperationException($"cannot connect to PostgreSQL at {b.Host}:{b.Port} (database '{b.Database}', user '{b.Username}'): {why}", e);
        }
    }
}
