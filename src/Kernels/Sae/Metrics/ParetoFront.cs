namespace MMInterp.Kernels.Sae.Metrics;

/// <summary>The L0-vs-FVU trade-off: a point is on the front when no other point is at least as sparse and as faithful
/// and strictly better in one of the two.</summary>
public static class ParetoFront
{
    public readonly record struct Point(string Id, double L0, double Fvu);

    /// <summary>Front points ordered by L0 ascending (so FVU descends along it). Non-finite points are excluded.</summary>
    public static IReadOnlyList<Point> Of(IEnumerable<Point> points)
    {
        var front = new List<Point>();
        var best = double.PositiveInfinity;
        foreach (var p in points.Where(p => double.IsFinite(p.L0) && double.IsFinite(p.Fvu)).OrderBy(p => p.L0).ThenBy(p => p.Fvu))
        {
            if (p.Fvu >= best) continue;
            front.Add(p);
            best = p.Fvu;
        }
        return front;
    }
}
