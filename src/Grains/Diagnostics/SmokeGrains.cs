using MMInterp.Grains.Contracts;
using MMInterp.Grains.Telemetry;

namespace MMInterp.Grains.Diagnostics;

[GenerateSerializer]
public sealed class CounterState
{
    [Id(0)] public long Value { get; set; }
}

/// <summary>Records a running total in the default grain storage; see <see cref="ICounterGrain"/>.</summary>
public sealed class CounterGrain([PersistentState("counter")] IPersistentState<CounterState> state) : Grain, ICounterGrain
{
    public async Task<CounterReading> Add(long delta)
    {
        using var activity = PlatformTelemetry.Source.StartActivity("smoke.counter.add");
        activity?.SetTag("mminterp.counter", this.GetPrimaryKeyString());
        state.State.Value += delta;
        await state.WriteStateAsync();
        return new CounterReading(state.State.Value, RuntimeIdentity);
    }

    public Task<CounterReading> Read() => Task.FromResult(new CounterReading(state.State.Value, RuntimeIdentity));
}

[GenerateSerializer]
public sealed class ReminderProbeState
{
    [Id(0)] public long Ticks { get; set; }
    [Id(1)] public string LastTickSilo { get; set; } = "";
}

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
