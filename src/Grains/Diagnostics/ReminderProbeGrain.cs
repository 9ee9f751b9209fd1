using MMInterp.Grains.Contracts;

namespace MMInterp.Grains.Diagnostics;

/// <summary>Counts reminder ticks in the default grain storage; see <see cref="IReminderProbeGrain"/>.</summary>
public sealed class ReminderProbeGrain([PersistentState("reminderProbe")] IPersistentState<ReminderProbeState> state)
    : Grain, IReminderProbeGrain, IRemindable
{
    const string ReminderName = "probe";

    public Task Start(TimeSpan period) => this.RegisterOrUpdateReminder(ReminderName, period, period);

    public async Task Stop()
    {
        var reminder = await this.GetReminder(ReminderName);
        if (reminder is not null) await this.UnregisterReminder(reminder);
    }

    public Task<ReminderProbeReading> Read() => Task.FromResult(new ReminderProbeReading(state.State.Ticks, state.State.LastTickSilo));

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != ReminderName) return;
        state.State.Ticks++;
        state.State.LastTickSilo = RuntimeIdentity;
        await state.WriteStateAsync();
    }
}
