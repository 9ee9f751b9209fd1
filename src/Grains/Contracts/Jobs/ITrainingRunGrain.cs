using Orleans.Concurrency;

namespace MMInterp.Grains.Contracts.Jobs;

/// <summary>
/// One long SAE training on an accelerator silo: checkpoints, metrics, resume after a crash. Key: run id. A run whose
/// spec names a pack (a sweep's grid point) is trained by that TrainingPack grain together with its other members;
/// it is still a run of its own: its status, checkpoint, metric series, dictionary and cancel are its own.
/// </summary>
public interface ITrainingRunGrain : IGrainWithStringKey
{
    /// <summary>Starts the run; the same spec again is a no-op, another spec under the same id an error.</summary>
    Task<JobProgress> Start(TrainingRunSpec spec);

    Task<JobProgress> Status();

    /// <summary>The newest checkpoint, or null before the first.</summary>
    Task<RunCheckpoint?> LastCheckpoint();

    Task Cancel();

    /// <summary>Where the run trains now and how often it was (re)started; `mminterp status` and fault tests use it.</summary>
    Task<TrainingRunHost> Host();

    /// <summary>Called by the executor (through the grain reference) each time it saves a checkpoint.</summary>
    Task ReportCheckpoint(RunCheckpoint checkpoint);

    /// <summary>A packed run (spec.PackId): its pack's newest step and figures for this run (live progress, kept in
    /// memory only; the pack sends at most a few a second).</summary>
    [OneWay, AlwaysInterleave]
    Task ReportStep(TrainingFigures figures);

    /// <summary>A packed run (spec.PackId): its pack trained it to the end; the final checkpoint is recorded first.</summary>
    Task ReportFinished(RunCheckpoint final);

    /// <summary>A packed run (spec.PackId): its pack could not train it (it diverged, its config or data is bad).</summary>
    Task ReportFailed(string error);
}
