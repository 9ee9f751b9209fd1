using System.Net.Sockets;
using Npgsql;
using NpgsqlTypes;

namespace MMInterp.Grains.Registry;

/// <summary>
/// The registry's one door to Npgsql: opens pooled connections from an <see cref="NpgsqlDataSource"/>, runs
/// parameterised SQL only, and turns driver failures into the registry's one-line exceptions.
/// </summary>
internal sealed class RegistryDb : IAsyncDisposable
{
    /// <summary>Most connections one process's registry opens at once (unless the connection string says otherwise).</summary>
    public const int DefaultMaxPoolSize = 20;
    /// <summary>Seconds an idle pooled connection is kept before it is closed (Npgsql's default is 300).</summary>
    public const int DefaultIdleLifetimeSeconds = 30;


    readonly NpgsqlDataSource _source;
    readonly string _where;

    public RegistryDb(string connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
            throw new ArgumentException("registry connection string is empty (pass --db or set MMINTERP_DB)");
        NpgsqlConnectionStringBuilder b;
        try
        {
            b = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or KeyNotFoundException)
        {
            throw new ArgumentException($"registry connection string is malformed: {e.Message}", e);
        }
        if (string.IsNullOrWhiteSpace(b.Host)) throw new ArgumentException("registry connection string has no Host");
        // Constraint violations name the offending key only with error detail on; values are ours, not secrets.
        b.IncludeErrorDetail = true;
        // Npgsql's default pool (100 connections, idle ones kept 300 s) let one busy web server hold half of a
        // default PostgreSQL's 100-200 slots for minutes; the registry's queries are short, so a small bounded pool
        // queues requests instead. A connection string that names these settings keeps its own values.
        var named = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
        if (!named.ContainsKey("Maximum Pool Size")) b.MaxPoolSize = DefaultMaxPoolSize;
        if (!named.ContainsKey("Connection Idle Lifetime")) b.ConnectionIdleLifetime = DefaultIdleLifetimeSeconds;
        _where = $"{b.Host}:{b.Port} (database '{b.Database}', user '{b.Username}')";
        _source = new NpgsqlDataSourceBuilder(b.ConnectionString).Build();
    }

    /// <summary>The settings the pool runs with (tests check the bound).</summary>
    internal NpgsqlConnectionStringBuilder Settings => new(_source.ConnectionString);

    public async Task<NpgsqlConnection> OpenAsync(CancellationToken ct)
    {
        try
        {
            return await _source.OpenConnectionAsync(ct);
        }
        catch (Exception e) when (e is NpgsqlException or SocketException or TimeoutException && !ct.IsCancellationRequested)
        {
            var why = e is PostgresException pe ? pe.MessageText : (e.InnerException?.Message ?? e.Message);
            throw new RegistryUnavailableException($"cannot connect to PostgreSQL at {_where}: {OneLine(why)}", e);
        }
    }

    /// <summary>Runs <paramref name="work"/> on an open connection, translating database errors.</summary>
    public async Task<T> RunAsync<T>(Func<NpgsqlConnection, Task<T>> work, CancellationToken ct)
    {
        await using var conn = await OpenAsync(ct);
        try
        {
            return await work(conn);
        }
        catch (PostgresException e)
        {
            throw Translate(e);
        }
        catch (NpgsqlException e) when (!ct.IsCancellationRequested)
        {
            throw new RegistryUnavailableException($"lost the connection to PostgreSQL at {_where}: {OneLine(e.InnerException?.Message ?? e.Message)}", e);
        }
    }

    public Task<int> ExecuteAsync(string sql, CancellationToken ct, params object?[] args) =>
        RunAsync(async conn =>
        {
            await using var cmd = Command(conn, sql, args);
            return await cmd.ExecuteNonQueryAsync(ct);
        }, ct);

    public Task<List<T>> QueryAsync<T>(string sql, Func<NpgsqlDataReader, T> map, CancellationToken ct, params object?[] args) =>
        RunAsync(conn => QueryAsync(conn, null, sql, map, ct, args), ct);

    public async Task<T?> QuerySingleAsync<T>(string sql, Func<NpgsqlDataReader, T> map, CancellationToken ct, params object?[] args) where T : class =>
        (await QueryAsync(sql, map, ct, args)).SingleOrDefault();

    public static async Task<List<T>> QueryAsync<T>(NpgsqlConnection conn, NpgsqlTransaction? tx, string sql, Func<NpgsqlDataReader, T> map, CancellationToken ct, params object?[] args)
    {
        await using var cmd = Command(conn, sql, args, tx);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var rows = new List<T>();
        while (await r.ReadAsync(ct)) rows.Add(map(r));
        return rows;
    }

    /// <summary>A command with positional parameters ($1, $2, ...); values are never spliced into the text.</summary>
    public static NpgsqlCommand Command(NpgsqlConnection conn, string sql, object?[] args, NpgsqlTransaction? tx = null)
    {
        var cmd = new NpgsqlCommand(sql, conn, tx);
        foreach (var a in args)
            cmd.Parameters.Add(a as NpgsqlParameter ?? new NpgsqlParameter { Value = a ?? DBNull.Value });
        return cmd;
    }

    /// <summary>A jsonb parameter (plain strings would be sent as text and rejected by jsonb columns).</summary>
    public static NpgsqlParameter Jsonb(string json) => new() { NpgsqlDbType = NpgsqlDbType.Jsonb, Value = json };

    /// <summary>A text parameter that may be null (for optional filters such as "$1::text IS NULL OR ...").</summary>
    public static NpgsqlParameter Text(string? value) => new() { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)value ?? DBNull.Value };

    /// <summary>A typed null, for parameters whose type the server cannot infer from a bare NULL.</summary>
    public static NpgsqlParameter Null(NpgsqlDbType type) => new() { NpgsqlDbType = type, Value = DBNull.Value };

    Exception Translate(PostgresException e)
    {
        var detail = e.Detail is { Length: > 0 } d ? $": {d}" : "";
        return e.SqlState switch
        {
            PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.UndefinedColumn =>
                new RegistryUnavailableException($"the registry schema at {_where} is missing or old ({e.MessageText}); apply the migrations (the silo does on start)", e),
            PostgresErrorCodes.UniqueViolation =>
                new RegistryConflictException($"already registered{detail}", e),
            PostgresErrorCodes.ForeignKeyViolation =>
                new RegistryReferenceException($"{e.TableName ?? "row"} refers to something not registered{detail}", e),
            PostgresErrorCodes.CheckViolation or PostgresErrorCodes.NotNullViolation or PostgresErrorCodes.InvalidTextRepresentation =>
                new ArgumentException($"rejected by the registry ({e.ConstraintName ?? e.SqlState}): {OneLine(e.MessageText)}", e),
            _ => new RegistryException($"registry query failed: {OneLine(e.MessageText)} ({e.SqlState})", e),
        };
    }

    static string OneLine(string s) => string.Join(' ', s.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    public ValueTask DisposeAsync() => _source.DisposeAsync();
}
