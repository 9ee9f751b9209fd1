namespace MMInterp.Silo.Storage;

/// <summary>Where and how the project-owned PostgreSQL runs.</summary>
/// <param name="DataDir">Cluster directory; created by initdb on first start.</param>
/// <param name="Port">TCP port on 127.0.0.1; the unix socket also lives in DataDir.</param>
/// <param name="Database">Database the platform uses; created when missing.</param>
/// <param name="Durable">False turns off fsync for throwaway test servers.</param>
public sealed record LocalPostgresOptions(string DataDir, int Port, string Database = "mminterp", bool Durable = true)
{
    public const int DefaultPort = 54329;

    /// <summary>How clients reach this server: trust authentication on loopback, as the server's own superuser.</summary>
    public string ConnectionString => new Npgsql.NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = "postgres",
        Database = Database,
        Pooling = true,
        Timeout = 15,
    }.ConnectionString;

    /// <summary>
    /// The embedded default: MMINTERP_PGDATA / MMINTERP_PGPORT when set. Otherwise ~/.mminterp/pgdata, or, for root
    /// (PostgreSQL refuses to run as root and its own user cannot enter /root), /var/tmp/mminterp/pgdata.
    /// </summary>
    public static LocalPostgresOptions EmbeddedDefault()
    {
        var dir = Environment.GetEnvironmentVariable("MMINTERP_PGDATA");
        if (string.IsNullOrWhiteSpace(dir))
            dir = Environment.IsPrivilegedProcess
                ? "/var/tmp/mminterp/pgdata"
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".mminterp", "pgdata");
        var portText = Environment.GetEnvironmentVariable("MMINTERP_PGPORT");
        var port = DefaultPort;
        if (!string.IsNullOrWhiteSpace(portText) && (!int.TryParse(portText, out port) || port is < 1 or > 65535))
            throw new ArgumentException($"MMINTERP_PGPORT must be a port number 1-65535, got '{portText}'");
        return new LocalPostgresOptions(dir, port).Validated();
    }

    public LocalPostgresOptions Validated()
    {
        if (string.IsNullOrWhiteSpace(DataDir)) throw new ArgumentException("LocalPostgresOptions.DataDir is empty");
        if (Port is < 1 or > 65535) throw new ArgumentException($"LocalPostgresOptions.Port must be 1-65535, got {Port}");
        if (string.IsNullOrWhiteSpace(Database) || !Database.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
            throw new ArgumentException($"LocalPostgresOptions.Database must be letters, digits or _, got '{Database}'");
        return this;
    }
}
