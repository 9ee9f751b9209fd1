using MMInterp.Grains.Contracts;

namespace MMInterp.Grains.Registry;

/// <summary>Listing runs by kind, status, model and creation date (the CLI's `registry list runs` filters, the web lists).</summary>
public sealed partial class RunRepository
{
    public Task<List<RunRecord>> SearchAsync(RunFilter filter, CancellationToken ct = default)
    {
        var f = filter.Validated();
        var (where, args) = Where(f);
        args.Add(f.Limit);
        return _db.QueryAsync($"SELECT {Columns} FROM runs WHERE {where} ORDER BY created_at DESC, id LIMIT ${args.Count}", Map, ct, args.ToArray());
    }

    static (string Where, List<object?> Args) Where(RunFilter f)
    {
        var args = new List<object?>();
        string Arg(object value)
        {
            args.Add(value);
            return "$" + args.Count;
        }
        var where = new List<string> { "true" };
        if (f.Kind is { } k) where.Add($"kind = {Arg(RegistryNames.Name(k))}");
        if (f.Status is { } s) where.Add($"status = {Arg(RegistryNames.Name(s))}");
        if (f.ParentRunId is { } p) where.Add($"parent_run_id = {Arg(RegistryIds.Validate(p, "run id"))}");
        if (f.Since is { } since) where.Add($"created_at >= {Arg(since)}");
        if (f.Until is { } until) where.Add($"created_at < {Arg(until)}");
        if (f.ModelId is { } m)
        {
            var model = Arg(m);
            where.Add($"""
                ({model} IN (config->>'ModelId', config->>'model', config->>'model_id')
                 OR EXISTS (SELECT 1 FROM dictionaries d WHERE d.training_run_id = runs.id AND d.model_id = {model})
                 OR EXISTS (SELECT 1 FROM activation_sets a WHERE a.model_id = {model}
                            AND (a.extraction_run_id = runs.id OR a.id IN (runs.config->>'ActivationSetId', runs.config->>'activation_set_id')))
                 OR EXISTS (SELECT 1 FROM models mo WHERE mo.training_run_id = runs.id AND mo.id = {model}))
                """);
        }
        return (string.Join(" AND ", where), args);
    }
}
