using System.Text.Json;
using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Grains.Lifecycle;
using MMInterp.Grains.Placement;
using MMInterp.Grains.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MMInterp.Grains.ExtractionJobs;

/// <summary>
/// Orchestrates one extraction job. All shards are dispatched at once to shard grains, which placement spreads over
/// the accelerator silos; each result is persisted as it arrives, failures are retried up to the spec's limit, and a
/// reminder re-activates the job after its silo dies so the remaining shards are dispatched again.
/// </summary>
[ControlPlacement]
public sealed class ExtractionJobGrain(
    [PersistentState("extraction", "jobs")] IPersistentState<ExtractionJobState> state,
    IShardExtractor extractor,
    IRunRecorder recorder,
    IOptions<JobOptions> timing,
    ILogger<ExtractionJobGrain> log) : Grain, IExtractionJobGrain, IRemindable
{
    Task? _loop;
    JobSettlement<ExtractionJobState>? _end;
    JobSettlement<ExtractionJobState> End => _end ??= new(this, state, recorder);
    bool _cancelRequested;

    public override Task OnActivateAsync(CancellationToken ct)
    {
        if (state.State.Phase == JobPhase.Running) EnsureLoop();
        return Task.CompletedTask;
    }

    public async Task<JobProgress> Start(ExtractionJobSpec spec)
    {
        spec.Validated();
        await new JobStart<ExtractionJobState, ExtractionJobSpec>(this, state, timing.Value, "extraction job").StartAsync(spec,
            // The registry row comes first: the activation set will name this job as its lineage.
            record: () => recorder.StartedAsync(this.GetPrimaryKeyString(), "extraction", JsonSerializer.Serialize(spec), spec.Shards, null),
            launch: EnsureLoop,
            same: SameSpec);
        return Progress();
    }

    public Task<JobProgress> Status() => Task.FromResult(Progress());

    public Task<IReadOnlyList<ShardOutput>> Outputs() =>
        Task.FromResult<IReadOnlyList<ShardOutput>>(state.State.Done.OrderBy(kv => kv.Key).Select(kv => kv.Value).ToList());

    // The loop sees the flag between shard results and stops dispatching.
    public Task Cancel() => End.CancelAsync(() => _cancelRequested = true);

    public Task ReceiveReminder(string reminderName, TickStatus status) => End.TickAsync(_loop is { IsCompleted: false }, EnsureLoop);

    /// <summary>Starts the loop unless it is running already; completes at once (a Task only to serve as JobStart's and the tick's launch).</summary>
    Task EnsureLoop()
    {
        if (_loop is { IsCompleted: false }) return Task.CompletedTask;
        // The loop runs on the grain's scheduler; keep the activation alive while it works.
        DelayDeactivation(TimeSpan.FromDays(1));
        _loop = RunLoop();
        return Task.CompletedTask;
    }

    /// <summary>Runs the job to its end; a failure outside the shards (storage, finalisation) is classified like every
    /// job's: permanent fails the job, transient runs the remaining work again after a backoff, up to the limit.</summary>
    async Task RunLoop()
    {
        var jobId = this.GetPrimaryKeyString();
        while (true)
        {
            try
            {
                await RunOnce(jobId);
                return;
            }
            catch (Exception e)
            {
                if (state.State.Phase != JobPhase.Running) return;
                if (JobFailure.IsStaleState(e))
                {
                    log.LogWarning("job {Job}: its stored state was changed elsewhere; this activation steps down and the next carries on", jobId);
                    this.DeactivateOnIdle();
                    return;
                }
                var decision = JobRetry.Decide(state.State, e, timing.Value);
                try
                {
                    if (!decision.Retry)
                    {
                        log.LogWarning("job {Job} failed ({Kind}): {Reason}", jobId, decision.Kind.ToString().ToLowerInvariant(), decision.Reason);
                        await End.FinishAsync(JobPhase.Failed, decision.Reason);
                        return;
                    }
                    log.LogWarning("job {Job}: attempt failed ({Failures} of {Max}): {Reason}; retrying in {Delay}",
                        jobId, state.State.TransientFailures, timing.Value.MaxAttempts, decision.Reason, decision.Delay);
                    await state.WriteStateAsync();
                }
                catch (Exception settling)
                {
                    // Database down: the reminder settles the failed job, or relaunches the loop.
                    log.LogWarning("job {Job}: could not record its failure ({Error}); the reminder will", jobId, settling.Message);
                    return;
                }
                await Task.Delay(decision.Delay);
                if (state.State.Phase != JobPhase.Running || _cancelRequested) return;
            }
        }
    }

    async Task RunOnce(string jobId)
    {
        var spec = state.State.Spec!;
        using var activity = PlatformTelemetry.Source.StartActivity("extraction.job");
        activity?.SetTag("mminterp.job", jobId);
        var running = new Dictionary<Task<ShardOutput>, int>();
        foreach (var index in Enumerable.Range(0, spec.Shards).Where(i => !state.State.Done.ContainsKey(i)))
            running.Add(Dispatch(jobId, spec, index), index);

        while (running.Count > 0 && !_cancelRequested)
        {
            var finished = await Task.WhenAny(running.Keys);
            var index = running[finished];
            running.Remove(finished);
            try
            {
                state.State.Done[index] = await finished;
                if (state.State.Done[index].Skipped is { Count: > 0 } skipped)
                    log.LogWarning("job {Job} shard {Shard} skipped {Count} unreadable items, e.g. {First}", jobId, index, skipped.Count, skipped[0]);
            }
            catch (Exception e)
            {
                if (_cancelRequested || state.State.Phase != JobPhase.Running) break;
                var attempts = state.State.Attempts.GetValueOrDefault(index);
                var reason = JobFailure.Reason(e);
                log.LogWarning("job {Job} shard {Shard} attempt {Attempt} failed: {Error}", jobId, index, attempts, reason);
                if (JobFailure.Classify(e) == FailureKind.Permanent)
                {
                    // A bad spec or corrupt input: every attempt of this shard would fail the same way.
                    await End.FinishAsync(JobPhase.Failed, $"shard {index} failed: {reason}");
                    return;
                }
                if (attempts >= spec.MaxAttemptsPerShard)
                {
                    await End.FinishAsync(JobPhase.Failed, $"shard {index} failed {attempts} times; last error: {reason}");
                    return;
                }
                PlatformTelemetry.ShardRetries.Add(1);
                running.Add(DispatchAfter(timing.Value.RetryDelay(attempts), jobId, spec, index), index);
            }
            state.State.UpdatedAt = DateTimeOffset.UtcNow;
            // The registry's progress is informative and independent of the state write; after the last shard
            // both are on the job's critical path, so they go together.
            await Task.WhenAll(state.WriteStateAsync(), RecordProgress(jobId, spec));
        }
        if (_cancelRequested || state.State.Phase != JobPhase.Running) return;

        var outputs = state.State.Done.OrderBy(kv => kv.Key).Select(kv => kv.Value).ToList();
        state.State.ActivationSetId = await extractor.FinalizeAsync(jobId, spec, outputs, CancellationToken.None);
        await End.FinishAsync(JobPhase.Succeeded, null);
    }

    /// <summary>A shard's retry after its backoff delay (a transient failure: a lost silo, the store or database away).</summary>
    async Task<ShardOutput> DispatchAfter(TimeSpan delay, string jobId, ExtractionJobSpec spec, int index)
    {
        await Task.Delay(delay);
        if (_cancelRequested || state.State.Phase != JobPhase.Running) throw new OperationCanceledException($"job {jobId} is no longer running");
        return await Dispatch(jobId, spec, index);
    }

    Task<ShardOutput> Dispatch(string jobId, ExtractionJobSpec spec, int index)
    {
        var attempt = state.State.Attempts.GetValueOrDefault(index) + 1;
        state.State.Attempts[index] = attempt;
        var (start, count) = spec.ShardRange(index);
        // Shard i goes to accelerator slot i mod slots: an even spread, whatever the job id hashes to.
        RequestContext.Set(AcceleratorPlacement.SlotKey, index);
        try
        {
            return GrainFactory.GetGrain<IExtractionShardGrain>($"{jobId}/{index}")
                .Run(new ShardAssignment(jobId, index, attempt, spec, start, count));
        }
        finally
        {
            RequestContext.Remove(AcceleratorPlacement.SlotKey);
        }
    }


    async Task RecordProgress(string jobId, ExtractionJobSpec spec)
    {
        try
        {
            await recorder.ProgressAsync(jobId, state.State.Done.Count, (double)state.State.Done.Count / spec.Shards);
        }
        catch (Exception e)
        {
            // Progress in the registry is informative; the grain state is the record of truth for resuming.
            log.LogWarning("job {Job}: could not record progress: {Error}", jobId, e.Message);
        }
    }

    JobProgress Progress() => new(
        this.GetPrimaryKeyString(), "extraction", End.VisiblePhase, state.State.Done.Count, state.State.Spec?.Shards ?? 0,
        state.State.Error, state.State.UpdatedAt)
    {
        ActivationSetId = state.State.ActivationSetId,
        Skipped = state.State.Done.Values.Sum(o => o.Skipped?.Count ?? 0),
    };

    static bool SameSpec(ExtractionJobSpec a, ExtractionJobSpec b) =>
        a.ModelId == b.ModelId && a.Hooks.SequenceEqual(b.Hooks) && a.Dataset == b.Dataset && a.Shards == b.Shards
        && (a.Prompts ?? []).SequenceEqual(b.Prompts ?? []);
}
