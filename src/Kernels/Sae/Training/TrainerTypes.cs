using MMInterp.Kernels.Sae.Metrics;

namespace MMInterp.Kernels.Sae.Training;

/// <summary>Caller hooks. Progress fires at every log interval and at the end; DownstreamMetric (e.g. the model's
/// loss with the SAE spliced in) is called at the same points and its value recorded in the metrics.</summary>
public sealed record TrainerHooks
{
    public Action<TrainingProgress>? Progress { get; init; }
    public Func<ISparseAutoencoder, double>? DownstreamMetric { get; init; }
    /// <summary>Fires after each periodic checkpoint is written: member name, step, checkpoint path. Lets a caller copy
    /// the checkpoint somewhere durable before training goes on.</summary>
    public Action<string, long, string>? Checkpointed { get; init; }
    /// <summary>Continue from the members' checkpoint files in the work directory when they exist.</summary>
    public bool Resume { get; init; } = true;
}

public sealed record TrainingProgress(string Member, long Step, long TotalSteps, SaeMetrics Metrics);

/// <summary>
/// Outcome of one member. Files (in workDir/Name/): checkpoint.safetensors (resumable state),
/// sae.safetensors (final weights, only when completed), density.png (feature-density histogram, when completed).
/// </summary>
public sealed record SaeRunResult(string Name, SaeConfig Sae, SaeTrainingConfig Training, bool Completed, long Step,
    IReadOnlyList<SaeMetrics> History, SaeMetrics? Final, float[] FinalDensity,
    string CheckpointPath, string? WeightsPath, string? HistogramPath);
