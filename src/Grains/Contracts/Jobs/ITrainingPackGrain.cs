using Orleans.Concurrency;

namespace MMInterp.Grains.Contracts.Jobs;

/// <summary>
/// Trains the runs of a <see cref="TrainingPackSpec"/> together on an accelerator silo, each batch read once for all.
/// Users see the member runs (their TrainingRun grains); the pack only does the shared reading. Key: pack id.
/// Member runs call it one way (it calls them back with checkpoints and outcomes, so a waited call could deadlock).
/// </summary>
public interface ITrainingPackGrain : IGrainWithStringKey
{
    /// <summary>Starts the pack; the same spec again only makes sure it is training, another spec is refused.</summary>
    Task Start(TrainingPackSpec spec);

    /// <summary>From a member run's activation or reminder: relaunch the training if it is not under way.</summary>
    [OneWay]
    Task Resume();

    /// <summary>A member run was cancelled: stop stepping it, the others go on.</summary>
    [OneWay]
    Task Drop(string runId);

    /// <summary>Where the pack trains, how often it was launched, and the earliest step the last launch resumed from.</summary>
    [AlwaysInterleave]
    Task<TrainingRunHost> Host();

    /// <summary>Members finished (succeeded, failed or cancelled) over all members.</summary>
    [AlwaysInterleave]
    Task<JobProgress> Status();

    /// <summary>Called by the executor each time it saves a member's checkpoint; passed on to the member run.</summary>
    Task ReportCheckpoint(string runId, RunCheckpoint checkpoint);
}
