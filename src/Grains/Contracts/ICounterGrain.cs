namespace MMInterp.Grains.Contracts;

/// <summary>
/// A persistent counter: the platform's storage smoke test (`cluster check`, integration tests).
/// Its value lives in the default grain storage, so it survives silo restarts.
/// </summary>
public interface ICounterGrain : IGrainWithStringKey
{
    Task<CounterReading> Add(long delta);
    Task<CounterReading> Read();
}
