using MMInterp.Grains.Contracts;
using MMInterp.Grains.Contracts.Experiments;
using Npgsql;

namespace MMInterp.Grains.Registry;

/// <summary>
/// Manual labels: people add, edit and delete them; each change names its author, stamps the row and appends to
/// label_history in the same transaction. Labels an analysis wrote are not editable here (the next run would
/// overwrite them); a person adds a manual label beside them instead.
/// </summary>
public sealed partial class FeatureRepository
{
    const string HistoryColumns = "label_id, dictionary_id, feature_index, action, old_label, new_label, old_score, new_score, author, at";

    /// <summary>Adds a manual label, or (same text again) updates its score; returns the stored row.</summary>
    public Task<LabelRecord> AddManualAsync(string dictionaryId, int index, string label, double score, string author, CancellationToken ct = default)
    {
        RegistryIds.Validate(dictionaryId, "dictionary id");
        new NewLabel(index, label, score, LabelMethod.Manual).Validated();
        Author(author);
        return InTransactionAsync(async (conn, tx) =>
        {
            await Exec(conn, tx, "INSERT INTO features (dictionary_id, feature_index) VALUES ($1, $2) ON CONFLICT DO NOTHING", ct, dictionaryId, index);
            var old = (await RegistryDb.QueryAsync(conn, tx, $"""
                SELECT {LabelColumns} FROM labels WHERE dictionary_id = $1 AND feature_index = $2 AND method = 'manual' AND label = $3 FOR UPDATE
                """, MapLabel, ct, dictionaryId, index, label)).SingleOrDefault();
            var row = (await RegistryDb.QueryAsync(conn, tx, $"""
                INSERT INTO labels (dictionary_id, feature_index, label, score, method, created_by, updated_by)
                VALUES ($1, $2, $3, $4, 'manual', $5, $5)
                ON CONFLICT (dictionary_id, feature_index, method, label) DO UPDATE SET score = EXCLUDED.score, updated_by = EXCLUDED.updated_by, updated_at = now()
                RETURNING {LabelColumns}
                """, MapLabel, ct, dictionaryId, index, label, score, author)).Single();
            await HistoryAsync(conn, tx, row.Id, dictionaryId, index, old is null ? "add" : "edit", old?.Label, row.Label, old?.Score, row.Score, author, ct);
            return row;
        }, ct);
    }

    /// <summary>Changes the text and/or score of manual label <paramref name="labelId"/> of this feature.</summary>
    public Task<LabelRecord> EditManualAsync(string dictionaryId, int index, long labelId, string? label, double? score, string author, CancellationToken ct = default)
    {
        RegistryIds.Validate(dictionaryId, "dictionary id");
        if (label is null && score is null) throw new ArgumentException("an edit must change the label text or its score");
        new NewLabel(index, label ?? "x", score ?? 0, LabelMethod.Manual).Validated();
        Author(author);
        return InTransactionAsync(async (conn, tx) =>
        {
            var old = await ManualForUpdateAsync(conn, tx, dictionaryId, index, labelId, "edit", ct);
            var row = (await RegistryDb.QueryAsync(conn, tx, $"""
                UPDATE labels SET label = coalesce($2, label), score = coalesce($3, score), updated_by = $4, updated_at = now()
                WHERE id = $1 RETURNING {LabelColumns}
                """, MapLabel, ct, labelId, RegistryDb.Text(label), score is { } s ? s : RegistryDb.Null(NpgsqlTypes.NpgsqlDbType.Double), author)).Single();
            await HistoryAsync(conn, tx, labelId, dictionaryId, index, "edit", old.Label, row.Label, old.Score, row.Score, author, ct);
            return row;
        }, ct);
    }

    /// <summary>Deletes manual label <paramref name="labelId"/> of this feature; its history row keeps what it said.</summary>
    public Task<LabelRecord> DeleteManualAsync(string dictionaryId, int index, long labelId, string author, CancellationToken ct = default)
    {
        RegistryIds.Validate(dictionaryId, "dictionary id");
        Author(author);
        return InTransactionAsync(async (conn, tx) =>
        {
            var old = await ManualForUpdateAsync(conn, tx, dictionaryId, index, labelId, "delete", ct);
            await Exec(conn, tx, "DELETE FROM labels WHERE id = $1", ct, labelId);
            await HistoryAsync(conn, tx, labelId, dictionaryId, index, "delete", old.Label, null, old.Score, null, author, ct);
            return old;
        }, ct);
    }

    /// <summary>Every add, edit and delete of this feature's manual labels, newest first.</summary>
    public Task<List<LabelHistoryRecord>> GetLabelHistoryAsync(string dictionaryId, int index, CancellationToken ct = default) =>
        _db.QueryAsync($"""
            SELECT {HistoryColumns} FROM label_history WHERE dictionary_id = $1 AND feature_index = $2 ORDER BY at DESC, id DESC
            """, r => new LabelHistoryRecord(r.GetInt64(0), r.GetString(1), r.GetInt32(2), r.GetString(3), r.StringOrNull(4), r.StringOrNull(5),
                r.IsDBNull(6) ? null : r.GetDouble(6), r.IsDBNull(7) ? null : r.GetDouble(7), r.GetString(8), r.Time(9)),
            ct, RegistryIds.Validate(dictionaryId, "dictionary id"), index);

    async Task<LabelRecord> ManualForUpdateAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string dictionaryId, int index, long labelId, string action, CancellationToken ct)
    {
        var row = (await RegistryDb.QueryAsync(conn, tx, $"SELECT {LabelColumns} FROM labels WHERE id = $1 FOR UPDATE", MapLabel, ct, labelId)).SingleOrDefault();
        if (row is null || row.DictionaryId != dictionaryId || row.FeatureIndex != index)
            throw new RegistryNotFoundException($"no label {labelId} on feature {index} of dictionary '{dictionaryId}'");
        if (row.Method != LabelMethod.Manual)
            throw new ArgumentException($"label {labelId} was written by the {RegistryNames.Name(row.Method)} method; only manual labels can be {(action == "edit" ? "edited" : "deleted")}");
        return row;
    }

    static Task HistoryAsync(NpgsqlConnection conn, NpgsqlTransaction tx, long labelId, string dictionaryId, int index, string action,
        string? oldLabel, string? newLabel, double? oldScore, double? newScore, string author, CancellationToken ct) =>
        Exec(conn, tx, """
            INSERT INTO label_history (label_id, dictionary_id, feature_index, action, old_label, new_label, old_score, new_score, author)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            """, ct, labelId, dictionaryId, index, action, RegistryDb.Text(oldLabel), RegistryDb.Text(newLabel),
            oldScore is { } o ? o : RegistryDb.Null(NpgsqlTypes.NpgsqlDbType.Double), newScore is { } n ? n : RegistryDb.Null(NpgsqlTypes.NpgsqlDbType.Double), author);

    static async Task Exec(NpgsqlConnection conn, NpgsqlTransaction tx, string sql, CancellationToken ct, params object?[] args)
    {
        await using var cmd = RegistryDb.Command(conn, sql, args, tx);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    Task<T> InTransactionAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work, CancellationToken ct) =>
        _db.RunAsync(async conn =>
        {
            await using var tx = await conn.BeginTransactionAsync(ct);
            var result = await work(conn, tx);
            await tx.CommitAsync(ct);
            return result;
        }, ct);

    static void Author(string author)
    {
        if (string.IsNullOrWhiteSpace(author)) throw new ArgumentException("a manual label needs its author (the user behind the token)");
    }
}
