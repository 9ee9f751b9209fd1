namespace MMInterp.Grains.Contracts.ZooBuilds;

/// <summary>
/// One zoo model build on an accelerator silo: trains the recipe (unless it is registered already), registers the
/// model with this build as its training run, and restarts after its silo dies. Key: the recipe's model id for the
/// first attempt, "{model id}.{n}" for the n-th (<see cref="ZooBuildKeys"/>).
/// </summary>
public interface IZooBuildGrain : IGrainWithStringKey
{
    /// <summary>Starts the build; the same recipe again is a no-op, another recipe under this key an error.</summary>
    Task<Jobs.JobProgress> Start(ZooBuildSpec spec);

    /// <summary>The build as `mminterp status` and the job watchers see every job (Result: the model id once built).</summary>
    Task<Jobs.JobProgress> Status();

    /// <summary>The build's own progress: step, stage, model, silo.</summary>
    Task<ZooBuildStatus> Progress();

    Task Cancel();

    /// <summary>Called by the builder (through the grain reference) while it trains.</summary>
    Task ReportProgress(int step, string stage);
}
