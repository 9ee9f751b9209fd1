using System.Text.RegularExpressions;
using Npgsql;

namespace MMInterp.Grains.Registry;

/// <summary>
/// Descriptions, tags and archiving for registry rows (registry_annotations), and deleting a row nothing depends on.
/// Every change checks the row exists first, so an annotation never names a row that is not there.
/// </summary>
public sealed partial class AnnotationRepository
{
    public const int MaxDescription = 4000, MaxTags = 64;
    const string Columns = "kind, id, description, tags, archived_at, updated_at";
    readonly RegistryDb _db;

    internal AnnotationRepository(RegistryDb db) => _db = db;

    public async Task<RegistryAnnotation> GetAsync(string kind, string id, CancellationToken ct = default) =>
        await _db.QuerySingleAsync($"SELECT {Columns} FROM registry_annotations WHERE kind = $1 AND id = $2", Map, ct, Checked(kind), id)
        ?? RegistryAnnotation.None(kind, id);

    /// <summary>The annotations of these rows (rows without one are absent from the answer).</summary>
    public async Task<Dictionary<string, RegistryAnnotation>> GetManyAsync(string kind, IReadOnlyCollection<string> ids, CancellationToken ct = default) =>
        ids.Count == 0 ? new() : (await _db.QueryAsync($"SELECT {Columns} FROM registry_annotations WHERE kind = $1 AND id = ANY($2)", Map, ct,
            Checked(kind), ids.ToArray())).ToDictionary(a => a.Id);

    /// <summary>How many rows of this kind are archived (lists ask for that many more rows, then drop them).</summary>
    public async Task<HashSet<string>> ArchivedAsync(string kind, CancellationToken ct = default) =>
        (await _db.QueryAsync("SELECT id FROM registry_annotations WHERE kind = $1 AND archived_at IS NOT NULL", r => r.GetString(0), ct, Checked(kind))).ToHashSet();

    public async Task<RegistryAnnotation> DescribeAsync(string kind, string id, string description, CancellationToken ct = default)
    {
        if (description is null || description.Length > MaxDescription) throw new ArgumentException($"a description is at most {MaxDescription} characters");
        await RequireRowAsync(kind, id, ct);
        return await UpsertAsync("description = EXCLUDED.description", kind, id, description.Trim(), [], null, ct);
    }

    /// <summary>Adds then removes tags (each 1-64 characters of [A-Za-z0-9._:/-]); the stored set is sorted and distinct.</summary>
    public async Task<RegistryAnnotation> TagAsync(string kind, string id, IReadOnlyCollection<string> add, IReadOnlyCollection<string> remove, CancellationToken ct = default)
    {
        foreach (var t in add.Concat(remove))
            if (!TagPattern().IsMatch(t)) throw new ArgumentException($"tag '{t}' must be 1-64 characters of letters, digits and . _ : / -");
        await RequireRowAsync(kind, id, ct);
        var current = await GetAsync(kind, id, ct);
        var tags = current.Tags.Union(add, StringComparer.Ordinal).Except(remove, StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        if (tags.Length > MaxTags) throw new ArgumentException($"a row carries at most {MaxTags} tags, this would make {tags.Length}");
        return await UpsertAsync("tags = EXCLUDED.tags", kind, id, "", tags, null, ct);
    }

    /// <summary>Archives (hidden from lists, still shown by id and still a lineage parent) or restores a row.</summary>
    public async Task<RegistryAnnotation> ArchiveAsync(string kind, string id, bool archived, CancellationToken ct = default)
    {
        await RequireRowAsync(kind, id, ct);
        return await UpsertAsync(archived ? "archived_at = COALESCE(registry_annotations.archived_at, now())" : "archived_at = NULL",
            kind, id, "", [], archived ? DateTimeOffset.UtcNow : null, ct);
    }

    async Task<RegistryAnnotation> UpsertAsync(string set, string kind, string id, string description, string[] tags, DateTimeOffset? archivedAt, CancellationToken ct) =>
        (await _db.QueryAsync($"""
            INSERT INTO registry_annotations (kind, id, description, tags, archived_at) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (kind, id) DO UPDATE SET {set}, updated_at = now()
            RETURNING {Columns}
            """, Map, ct, kind, id, description, tags,
            new NpgsqlParameter { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz, Value = (object?)archivedAt ?? DBNull.Value })).Single();

    /// <summary>
    /// What names the row: rows whose foreign keys point at it (those deleted with it excepted: metric points,
    /// features, labels), and runs, experiments and models whose JSON holds its id as a string anywhere (how job
    /// configs, results and zoo specs name their inputs). Read from the catalog, so tables added later count too.
    /// </summary>
    public async Task<IReadOnlyList<RegistryDependent>> DependentsAsync(string kind, string id, CancellationToken ct = default)
    {
        var (table, key) = AnnotatedKinds.Of(kind);
        var references = await _db.QueryAsync("""
            SELECT c.conrelid::regclass::text, a.attname,
                   EXISTS (SELECT 1 FROM pg_attribute i WHERE i.attrelid = c.conrelid AND i.attname = 'id' AND NOT i.attisdropped)
            FROM pg_constraint c
            JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
            JOIN pg_attribute f ON f.attrelid = c.confrelid AND f.attnum = c.confkey[1]
            WHERE c.contype = 'f' AND c.confrelid = $1::text::regclass AND cardinality(c.conkey) = 1 AND f.attname = $2 AND c.confdeltype <> 'c'
            ORDER BY 1, 2
            """, r => (Table: r.GetString(0), Column: r.GetString(1), HasId: r.GetBoolean(2)), ct, table, key);
        var found = new List<RegistryDependent>();
        foreach (var (refTable, column, hasId) in references)
        {
            // Names from the catalog, quoted: never user text.
            var name = Singular(refTable);
            var shown = hasId ? "id::text" : $"{Quote(column)}::text";
            found.AddRange(await _db.QueryAsync($"""
                SELECT {shown} FROM {Quote(refTable)} WHERE {Quote(column)} = $1 {(refTable == table ? $"AND {Quote(key)} <> $1" : "")} LIMIT 100
                """, r => new RegistryDependent(name, r.GetString(0)), ct, id));
        }
        found.AddRange(await _db.QueryAsync("""
            WITH target AS (SELECT jsonb_build_object('id', $1::text) AS vars)
            SELECT 'run', id FROM runs, target WHERE id <> $1 AND jsonb_path_exists(config, '$.** ? (@ == $id)', target.vars)
            UNION ALL SELECT 'experiment', id FROM experiments, target WHERE id <> $1
                AND (jsonb_path_exists(config, '$.** ? (@ == $id)', target.vars) OR jsonb_path_exists(results, '$.** ? (@ == $id)', target.vars))
            UNION ALL SELECT 'model', id FROM models, target WHERE id <> $1 AND jsonb_path_exists(spec, '$.** ? (@ == $id)', target.vars)
            LIMIT 1000
            """, r => new RegistryDependent(r.GetString(0), r.GetString(1)), ct, id));
        return found.Distinct().ToList();
    }

    /// <summary>
    /// Deletes the row and its annotation when nothing depends on it; otherwise a <see cref="RegistryReferenceException"/>
    /// naming what does. A run still pending or running is refused (cancel it first). A dependent created meanwhile
    /// makes the delete fail on its foreign key rather than dangle. Stored files stay: the content-addressed store
    /// may share them and never deletes.
    /// </summary>
    public async Task DeleteAsync(string kind, string id, CancellationToken ct = default)
    {
        var (table, key) = AnnotatedKinds.Of(kind);
        await RequireRowAsync(kind, id, ct);
        if (kind == "run")
        {
            var status = (await _db.QueryAsync("SELECT status FROM runs WHERE id = $1", r => r.GetString(0), ct, id)).Single();
            if (status is "pending" or "running") throw new RegistryReferenceException($"run '{id}' is {status}; cancel it first (`mminterp cancel {id}`)");
        }
        var dependents = await DependentsAsync(kind, id, ct);
        if (dependents.Count > 0) throw new RegistryReferenceException($"{kind} '{id}' is still used by {Describe(dependents)}; delete or keep those first (archive hides a row instead)");
        await _db.RunAsync(async conn =>
        {
            await using var tx = await conn.BeginTransactionAsync(ct);
            await using (var del = RegistryDb.Command(conn, $"DELETE FROM {Quote(table)} WHERE {Quote(key)} = $1", [id], tx))
                await del.ExecuteNonQueryAsync(ct);
            await using (var ann = RegistryDb.Command(conn, "DELETE FROM registry_annotations WHERE kind = $1 AND id = $2", [kind, id], tx))
                await ann.ExecuteNonQueryAsync(ct);
            await tx.CommitAsync(ct);
            return 0;
        }, ct);
    }

    /// <summary>E.g. "2 dictionary (d-1, d-2), 1 run (run-9)": counts per kind with up to three ids each.</summary>
    public static string Describe(IReadOnlyList<RegistryDependent> dependents) => string.Join(", ", dependents.GroupBy(d => d.Kind).Select(g =>
        $"{g.Count()} {g.Key} ({string.Join(", ", g.Take(3).Select(d => d.Id))}{(g.Count() > 3 ? ", ..." : "")})"));

    async Task RequireRowAsync(string kind, string id, CancellationToken ct)
    {
        var (table, key) = AnnotatedKinds.Of(kind);
        var n = await _db.QueryAsync($"SELECT 1 FROM {Quote(table)} WHERE {Quote(key)} = $1", r => r.GetInt32(0), ct, id ?? "");
        if (n.Count == 0) throw new RegistryNotFoundException($"no {kind} '{id}' in the registry");
    }

    static string Checked(string kind) => AnnotatedKinds.Tables.ContainsKey(kind) ? kind : throw new ArgumentException($"unknown registry kind '{kind}'");

    static string Singular(string table) =>
        AnnotatedKinds.Tables.FirstOrDefault(t => t.Value.Table == table).Key ?? table.TrimEnd('s');

    static string Quote(string name) => "\"" + name.Replace("\"", "\"\"") + "\"";

    static RegistryAnnotation Map(NpgsqlDataReader r) => new(r.GetString(0), r.GetString(1), r.GetString(2), r.Strings(3), r.TimeOrNull(4), r.Time(5));

    [GeneratedRegex(@"^[A-Za-z0-9._:/-]{1,64}$")]
    private static partial Regex TagPattern();
}
