using MMInterp.Grains.Contracts;

namespace MMInterp.Grains.Registry;

/// <summary>Projects: the unit that owns models, runs, dictionaries and tokens. 'default' always exists.</summary>
public sealed class ProjectRepository
{
    const string Columns = "id, name, description, created_at";
    readonly RegistryDb _db;

    internal ProjectRepository(RegistryDb db) => _db = db;

    public async Task<ProjectRecord> CreateAsync(string id, string name, string description = "", CancellationToken ct = default)
    {
        RegistryIds.Validate(id, "project id");
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("project name is empty");
        var rows = await _db.QueryAsync($"INSERT INTO projects (id, name, description) VALUES ($1, $2, $3) RETURNING {Columns}",
            Map, ct, id, name, description ?? "");
        return rows.Single();
    }

    public Task<ProjectRecord?> GetAsync(string id, CancellationToken ct = default) =>
        _db.QuerySingleAsync($"SELECT {Columns} FROM projects WHERE id = $1", Map, ct, RegistryIds.Validate(id, "project id"));

    public Task<List<ProjectRecord>> ListAsync(CancellationToken ct = default) =>
        _db.QueryAsync($"SELECT {Columns} FROM projects ORDER BY id", Map, ct);

    static ProjectRecord Map(Npgsql.NpgsqlDataReader r) => new(r.GetString(0), r.GetString(1), r.GetString(2), r.Time(3));
}
