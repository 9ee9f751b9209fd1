namespace MMInterp.Grains.Registry;

/// <summary>
/// The registry in Postgres: one pooled data source, one repository per kind of thing.
/// Create once per process (it is thread-safe) and dispose at shutdown. The schema comes from
/// infra/sql/0100_registry.sql, applied by the platform's migrations.
/// </summary>
public sealed class RegistryStore : IAsyncDisposable
{
    /// <summary>Most database connections one store (one process) opens at once, unless its connection string sets
    /// Maximum Pool Size itself.</summary>
    public const int DefaultMaxPoolSize = RegistryDb.DefaultMaxPoolSize;

    readonly RegistryDb _db;

    public ProjectRepository Projects { get; }
    public TokenRepository Tokens { get; }
    public ArtefactRepository Artefacts { get; }
    public ModelRepository Models { get; }
    public ActivationSetRepository ActivationSets { get; }
    public DictionaryRepository Dictionaries { get; }
    public RunRepository Runs { get; }
    public MetricRepository Metrics { get; }
    public ExperimentRepository Experiments { get; }
    public FeatureRepository Features { get; }
    public DatasetRepository Datasets { get; }
    public ComparisonRepository Compare { get; }
    public LineageRepository Lineage { get; }
    /// <summary>Descriptions, tags, archiving and deleting of rows (issue 19).</summary>
    public AnnotationRepository Annotations { get; }

    RegistryStore(RegistryDb db)
    {
        _db = db;
        Projects = new(db);
        Tokens = new(db);
        Artefacts = new(db);
        Models = new(db);
        ActivationSets = new(db);
        Dictionaries = new(db);
        Runs = new(db);
        Metrics = new(db);
        Experiments = new(db);
        Features = new(db);
        Datasets = new(db);
        Compare = new(db);
        Lineage = new(db);
        Annotations = new(db);
    }

    /// <summary>Checks the connection string's syntax (ArgumentException naming the fault); does not connect yet.</summary>
    public static RegistryStore Create(string connectionString) => new(new RegistryDb(connectionString));

    /// <summary>Connects and checks the registry schema is there; throws <see cref="RegistryUnavailableException"/> otherwise.</summary>
    public async Task CheckAsync(CancellationToken ct = default)
    {
        var present = await _db.RunAsync(async conn =>
        {
            await using var cmd = RegistryDb.Command(conn, "SELECT to_regclass('runs') IS NOT NULL AND to_regclass('dictionaries') IS NOT NULL", []);
            return (bool)(await cmd.ExecuteScalarAsync(ct))!;
        }, ct);
        if (!present) throw new RegistryUnavailableException("the registry schema is missing from this database; apply the migrations (the silo does on start)");
    }

    internal Npgsql.NpgsqlConnectionStringBuilder PoolSettings => _db.Settings;

    public ValueTask DisposeAsync() => _db.DisposeAsync();
}
