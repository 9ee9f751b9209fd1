using MMInterp.Grains.Contracts;
using MMInterp.Grains.Telemetry;

namespace MMInterp.Grains.Diagnostics;

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
