using System.Diagnostics;
using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Grains.Placement;
using MMInterp.Grains.Telemetry;

namespace MMInterp.Grains.ExtractionJobs;

/// <summary>Runs one shard on an accelerator silo by handing it to the silo's <see cref="IShardExtractor"/>.</summary>
[AcceleratorPlacement]
public sealed class ExtractionShardGrain(IShardExtractor extractor) : Grain, IExtractionShardGrain
{
    public async Task<ShardOutput> Run(ShardAssignment assignment)
    {
        using var activity = PlatformTelemetry.Source.StartActivity("extraction.shard");
        activity?.SetTag("mminterp.job", assignment.JobId);
        activity?.SetTag("mminterp.shard", assignment.Index);
        activity?.SetTag("mminterp.attempt", assignment.Attempt);
        var startedAt = DateTimeOffset.UtcNow;
        var started = Stopwatch.GetTimestamp();
        var output = await extractor.ExtractAsync(assignment, RuntimeIdentity, CancellationToken.None);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        PlatformTelemetry.ShardSeconds.Record(seconds);
        // A shard is one-shot; free the activation for the next job.
        DeactivateOnIdle();
        return output with { WorkStarted = startedAt, WorkSeconds = seconds };
    }
}
