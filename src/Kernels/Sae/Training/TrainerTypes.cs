using MMInterp.Kernels.Sae.Metrics;

namespace MMInterp.Kernels.Sae.Training;

/// <summary>Caller hooks. Progress fires at every log interval and at the end; DownstreamMetric (e.g. the model's
/// loss with the SAE spliced in) is called at the same points and its value recorded in the metrics.</summary>
public sealed record TrainerHooks
{
    public Action<TrainingProgress>? Progress { get; init; }
    /// <summary>Fires after every step for each member that stepped, with that batch's loss, FVU and L0 (live progress;
    /// nothing is recorded). Costs one more scalar read per member and step, so it is computed only when set.</summary>
    public Action<StepFigures>? Stepped { get; init; }
    public Func<ISparseAutoencoder, double>? DownstreamMetric { get; init; }
    /// <summary>Fires after each periodic checkpoint is written: member name, step, checkpoint path. Lets a caller copy
    /// the checkpoint somewhere durable before training goes on.</summary>
    public Action<string, long, string>? Checkpointed { get; init; }
    /// <summary>Continue from the members' checkpoint files in the work directory when they exist. Members may stand
    /// at different steps (a shared-read run whose checkpoints were reported one by one before a crash): the data
    /// resumes at the earliest member's step and each member steps again only once the stream reaches its own step,
    /// so every member sees exactly the batches a run of its own would; members without a checkpoint start fresh.</summary>
    public bool Resume { get; init; } = true;
    /// <summary>Asked before every step for each member still training: true drops that member (its run was cancelled);
    /// the others go on. Training ends early when no member is left.</summary>
    public Func<string, bool>? MemberStopped { get; init; }
    /// <summary>When set, a member that diverges (<see cref="NonFiniteTrainingException"/>) is dropped and reported
    /// here while the others go on; when null the exception ends the whole run, as for a run of one.</summary>
    public Action<string, NonFiniteTrainingException>? MemberFailed { get; init; }
}

public sealed record TrainingProgress(string Member, long Step, long TotalSteps, SaeMetrics Metrics);

/// <summary>
/// Outcome of one member. Files (in workDir/Name/): checkpoint.safetensors (resumable state),
/// sae.safetensors (final weights, only when completed), density.png (feature-density histogram, when completed).
/// Error says why a member that was dropped (diverged) did not complete.
/// </summary>
public sealed record SaeRunResult(string Name, SaeConfig Sae, SaeTrainingConfig Training, bool Completed, long Step,
    IReadOnlyList<SaeMetrics> History, SaeMetrics? Final, float[] FinalDensity,
    string CheckpointPath, string? WeightsPath, string? HistogramPath, string? Error = null);
