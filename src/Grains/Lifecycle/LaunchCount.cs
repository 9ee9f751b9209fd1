namespace MMInterp.Grains.Lifecycle;

/// <summary>A job state that counts its launches and remembers the silo of the latest one (shown by status and tests).</summary>
public interface ILaunchCounted
{
    int Starts { get; set; }
    string? LastSilo { get; set; }
}

public static class LaunchCount
{
    /// <summary>Counts this launch on <paramref name="silo"/> and persists the state before any work starts. If the
    /// write fails the count is taken back and the error rethrown: nothing was launched, and the next reminder tick
    /// tries again and counts once.</summary>
    public static async Task RecordAsync<T>(IPersistentState<T> state, string silo) where T : ILaunchCounted
    {
        state.State.Starts++;
        state.State.LastSilo = silo;
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            state.State.Starts--;
            throw;
        }
    }
}
