using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Grains.Contracts.ZooBuilds;

namespace MMInterp.Grains.ZooBuilds;

/// <summary>
/// Gets a recipe built through the ZooBuild grains and follows the build to its end: the CLI's `zoo build` and a build
/// that needs another zoo model first both go through here. A running attempt is joined (two callers asking for one
/// recipe share one build); a finished one that left no model (failed, cancelled, or its model since removed) is
/// followed by a new attempt (<see cref="ZooBuildKeys"/>).
/// </summary>
public static class ZooBuildRunner
{
    static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(500);

    /// <param name="isBuilt">Whether the model is registered with its checkpoint in the store.</param>
    /// <param name="observe">Sees every status polled, e.g. to draw a progress bar.</param>
    /// <param name="cancelOnAbort">Cancel the build when <paramref name="ct"/> fires (the caller's process hosts the
    /// cluster and the build would otherwise resume in whatever command starts it next); else leave it running.</param>
    /// <returns>The succeeded build's status; its ModelId is the registered model.</returns>
    public static async Task<ZooBuildStatus> RunAsync(IGrainFactory grains, ZooBuildSpec spec, Func<string, CancellationToken, Task<bool>> isBuilt,
        Action<ZooBuildStatus>? observe, bool cancelOnAbort, CancellationToken ct)
    {
        var modelId = spec.Validated().ModelId();
        for (var attempt = 1; attempt <= ZooBuildKeys.MaxAttempts; attempt++)
        {
            var grain = grains.GetGrain<IZooBuildGrain>(ZooBuildKeys.Key(modelId, attempt));
            var status = await grain.Progress();
            if (status.Phase == JobPhase.Pending) await grain.Start(spec);
            else if (status.Finished && !(status.Phase == JobPhase.Succeeded && await isBuilt(modelId, ct))) continue;
            var final = await FollowAsync(grain, observe, cancelOnAbort, ct);
            return final.Phase switch
            {
                JobPhase.Succeeded => final,
                JobPhase.Cancelled => throw new OperationCanceledException($"zoo build {final.Id} was cancelled"),
                _ => throw new InvalidOperationException($"zoo build {final.Id} failed: {final.Error}"),
            };
        }
        throw new InvalidOperationException($"recipe {modelId} has {ZooBuildKeys.MaxAttempts} finished builds and no model; see `mminterp status --all`");
    }

    static async Task<ZooBuildStatus> FollowAsync(IZooBuildGrain grain, Action<ZooBuildStatus>? observe, bool cancelOnAbort, CancellationToken ct)
    {
        try
        {
            while (true)
            {
                var status = await grain.Progress();
                observe?.Invoke(status);
                if (status.Finished) return status;
                await Task.Delay(Poll, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested && cancelOnAbort)
        {
            await grain.Cancel().WaitAsync(TimeSpan.FromSeconds(30));
            throw;
        }
    }
}
