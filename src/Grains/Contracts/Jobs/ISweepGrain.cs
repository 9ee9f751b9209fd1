namespace MMInterp.Grains.Contracts.Jobs;

public interface ISweepGrain : IGrainWithStringKey
{
    Task<JobProgress> Start(SweepSpec spec);
    Task<JobProgress> Status();
    /// <summary>Every run with its final L0 and FVU (NaN until finished) and whether it is on the Pareto front.</summary>
    Task<IReadOnlyList<SweepRunResult>> Results();
    Task Cancel();
}
