namespace MMInterp.Grains.Registry;

/// <summary>Listing experiments by kind, status, model, creation date and text (the CLI's `registry list experiments` filters,
/// the experiments page's form).</summary>
public sealed partial class ExperimentRepository
{
    public Task<List<ExperimentRecord>> SearchAsync(ExperimentFilter filter, CancellationToken ct = default)
    {
        var f = filter.Validated();
        var args = new List<object?>();
        string Arg(object value)
        {
            args.Add(value);
            return "$" + args.Count;
        }
        var where = new List<string> { "true" };
        if (f.Kind is { } k) where.Add($"kind = {Arg(k)}");
        if (f.Status is { } st) where.Add($"status = {Arg(RegistryNames.Name(st))}");
        if (f.Since is { } since) where.Add($"created_at >= {Arg(since)}");
        if (f.Until is { } until) where.Add($"created_at < {Arg(until)}");
        if (f.Text is { Length: > 0 } t)
        {
            var pattern = Arg("%" + t.Replace(@"\", @"\\").Replace("%", @"\%").Replace("_", @"\_") + "%");
            where.Add($"(name ILIKE {pattern} OR description ILIKE {pattern})");
        }
        if (f.ModelId is { } m)
        {
            var model = Arg(m);
            where.Add($"(config->>'model' = {model} OR EXISTS (SELECT 1 FROM dictionaries d WHERE d.id = experiments.config->>'dictionary' AND d.model_id = {model}))");
        }
        var limit = Arg(f.Limit);
        return _db.QueryAsync($"SELECT {Columns} FROM experiments WHERE {string.Join(" AND ", where)} ORDER BY created_at DESC, id LIMIT {limit}", Map, ct, args.ToArray());
    }
}
