using MMInterp.Grains.Contracts.Jobs;

namespace MMInterp.Grains.Sweeps;

/// <summary>
/// Which of a sweep's runs train together: runs that share their reads (<see cref="TrainingPackSpec.SharesRead"/>)
/// are cut, in order, into packs of at most <c>packSize</c>. A pack of one is an ordinary run (no PackId).
/// </summary>
public static class SweepPacking
{
    public sealed record Plan(IReadOnlyList<(string RunId, string Label, TrainingRunSpec Spec)> Runs,
        IReadOnlyList<(string PackId, TrainingPackSpec Spec)> Packs);

    public static Plan Of(string sweepId, IReadOnlyList<(string Label, TrainingRunSpec Spec)> points, int packSize)
    {
        if (packSize < 1) throw new ArgumentException($"sweep: pack size must be at least 1, got {packSize}");
        var runs = points.Select((p, i) => (RunId: $"{sweepId}-r{i:D3}", p.Label, p.Spec)).ToList();
        var packs = new List<(string, TrainingPackSpec)>();
        var groups = new List<List<int>>();
        for (var i = 0; i < runs.Count; i++)
        {
            var group = groups.FirstOrDefault(g => TrainingPackSpec.SharesRead(runs[g[0]].Spec, runs[i].Spec));
            if (group is null) groups.Add(group = []);
            group.Add(i);
        }
        foreach (var chunk in groups.SelectMany(g => g.Chunk(packSize)).Where(c => c.Length > 1))
        {
            var packId = $"{sweepId}-p{packs.Count:D3}";
            foreach (var i in chunk) runs[i] = runs[i] with { Spec = runs[i].Spec with { PackId = packId } };
            packs.Add((packId, new TrainingPackSpec(chunk.Select(i => new TrainingPackMember(runs[i].RunId, runs[i].Spec)).ToList())));
        }
        return new Plan(runs, packs);
    }
}
