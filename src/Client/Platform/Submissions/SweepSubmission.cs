using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Grains.Sweeps;

namespace MMInterp.Client.Platform.Submissions;

/// <summary>A sweep as `mminterp sweep` and POST /api/jobs/sweep ask for it: the base run, the grid axes
/// (field -> values, e.g. "sae.K": ["8", "16"]), a random draw of that many points instead of the whole grid, the pack size.</summary>
public sealed record SweepRequest(TrainSaeRequest Base, IReadOnlyDictionary<string, IReadOnlyList<string>> Grid, int Random = 0, int PackSize = 0)
{
    public SweepRequest Validated()
    {
        if (Grid is null || Grid.Count == 0) throw new ArgumentException("grid must name at least one axis, e.g. {\"sae.K\": [\"8\", \"16\"]}");
        foreach (var (field, values) in Grid)
            if (values is null || values.Count == 0) throw new ArgumentException($"grid axis '{field}' has no values");
        if (Random < 0) throw new ArgumentException($"random must be 0 (the whole grid) or a number of points, got {Random}");
        if (PackSize < 0) throw new ArgumentException($"pack_size must be 0 (the default) or more, got {PackSize}");
        // Field names in the config's spelling ("sae.k" is sae.K), or a one-line error listing the valid axes.
        var grid = new Dictionary<string, IReadOnlyList<string>>();
        foreach (var (field, values) in Grid)
            if (!grid.TryAdd(SweepPoints.Canonical(field.Trim()), values)) throw new ArgumentException($"grid names {SweepPoints.Canonical(field.Trim())} twice");
        // A value its field cannot take is refused before anything is opened or started.
        SweepPoints.CheckValues(grid);
        Base.Validated();
        return this with { Grid = grid };
    }
}

/// <summary>The one road to a sweep: `sweep` and the web API.</summary>
public static class SweepSubmission
{
    public sealed record Prepared(SweepSpec Spec, IReadOnlyList<(string Label, TrainingRunSpec Spec)> Points, TrainingSubmission.Prepared Base);

    /// <summary>The sweep's spec with every point's config validated (under <paramref name="sweepId"/>) before anything starts.</summary>
    public static async Task<Prepared> SpecAsync(WorkContext w, SweepRequest request, string sweepId, CancellationToken ct)
    {
        var r = request.Validated();
        var baseRun = await TrainingSubmission.SpecAsync(w, r.Base, ct);
        var spec = new SweepSpec(baseRun.Spec, r.Grid, Random: r.Random > 0, Samples: r.Random, Seed: r.Base.Seed, PackSize: r.PackSize).Validated();
        return new Prepared(spec, SweepPoints.Checked(spec, sweepId), baseRun);
    }

    public static async Task<ISweepGrain> StartAsync(WorkContext w, string sweepId, SweepSpec spec, CancellationToken ct)
    {
        var grain = (await w.Cluster(ct)).GetGrain<ISweepGrain>(sweepId);
        try
        {
            await grain.Start(spec);
        }
        catch (InvalidOperationException e) when (e.Message.EndsWith("already exists with a different spec", StringComparison.Ordinal))
        {
            // A reused id never shows another search's results: bad input, said in one line.
            throw new ArgumentException($"{e.Message}; pick another sweep id, or give the same grid and settings to follow it", e);
        }
        return grain;
    }
}
