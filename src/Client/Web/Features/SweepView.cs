using MMInterp.Client.Web.Api;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Sae.Metrics;

namespace MMInterp.Client.Web.Features;

/// <summary>
/// A sweep as its page and the API show it: its members (the runs whose parent it is) with their axis values and
/// their last logged L0 and FVU, and which succeeded members are on the L0-FVU Pareto front.
/// </summary>
public sealed record SweepView(RunRecord Sweep, IReadOnlyList<string> Axes, IReadOnlyList<SweepView.Member> Members)
{
    public sealed record Member(RunRow Run, IReadOnlyList<(string Axis, string? Value)> Values, bool OnFront)
    {
        public string Label => SweepAxes.Label(Values);
        /// <summary>A short name for the plot: the values alone ("16, 0.5").</summary>
        public string Short => string.Join(", ", Values.Select(v => v.Value ?? "?"));
    }

    /// <summary>Front members ordered by L0.</summary>
    public IEnumerable<Member> Front => Members.Where(m => m.OnFront).OrderBy(m => m.Run.L0);

    public static async Task<SweepView> LoadAsync(RegistryStore r, string id, CancellationToken ct)
    {
        var sweep = await RegistryReads.RunAsync(r, id, ct);
        if (sweep.Kind != RunKind.Sweep) throw new KeyNotFoundException($"run '{id}' is a {RegistryNames.Name(sweep.Kind)} run, not a sweep");
        var axes = SweepAxes.Of(sweep.ConfigJson);
        var configs = (await r.Runs.ListAsync(parentRunId: id, limit: 1000, ct: ct)).ToDictionary(m => m.Id, m => m.ConfigJson);
        var rows = await r.Compare.RunsAsync(new CompareQuery(Sort: "id", Descending: false, ParentRunId: id, Limit: 1000), ct);
        var front = ParetoFront.Of(rows.Where(m => m.Status == RunStatus.Succeeded && m.L0 is not null && m.Fvu is not null)
                .Select(m => new ParetoFront.Point(m.Id, m.L0!.Value, m.Fvu!.Value)))
            .Select(p => p.Id).ToHashSet(StringComparer.Ordinal);
        return new SweepView(sweep, axes, rows.Select(m =>
            new Member(m, SweepAxes.ValuesOf(axes, configs.GetValueOrDefault(m.Id) ?? "{}"), front.Contains(m.Id))).ToList());
    }
}
