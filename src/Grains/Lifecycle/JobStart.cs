using MMInterp.Grains.Contracts.Jobs;

namespace MMInterp.Grains.Lifecycle;

/// <summary>
/// How a job, run or experiment starts from the spec it persists. Starting again with the same spec is a no-op that
/// only makes sure running work is under way (a Start retried after the first one failed past persisting the spec);
/// another spec under the same id is refused. A new spec is recorded in the registry first, because what the work
/// writes (lineage, results) names that row; then it is persisted as Running with the resume reminder, then launched.
/// </summary>
public sealed class JobStart<TState, TSpec>(Grain grain, IPersistentState<TState> state, JobOptions timing, string noun)
    where TState : IJobState<TSpec>
    where TSpec : class
{
    /// <param name="same">When two specs count as the same job; record equality unless given.</param>
    public async Task StartAsync(TSpec spec, Func<Task> record, Func<Task> launch, Func<TSpec, TSpec, bool>? same = null)
    {
        if (state.State.Spec is { } existing)
        {
            if (!(same ?? EqualityComparer<TSpec>.Default.Equals)(existing, spec))
                throw new InvalidOperationException($"{noun} '{grain.GetPrimaryKeyString()}' already exists with a different spec");
            if (state.State.Phase == JobPhase.Running)
            {
                await ResumeReminder.StartAsync(grain, timing);
                await launch();
            }
            return;
        }
        await record();
        state.State.Spec = spec;
        state.State.Phase = JobPhase.Running;
        state.State.UpdatedAt = DateTimeOffset.UtcNow;
        // State first: a reminder registered beside a failed state write would tick forever on a job stored as Pending.
        await state.WriteStateAsync();
        await ResumeReminder.StartAsync(grain, timing);
        await launch();
    }
}
