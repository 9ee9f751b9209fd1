using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace MMInterp.Grains.Tests;

/// <summary>What the silos' reminder table holds for a grain: a finished job must have dropped its resume reminder.</summary>
public static class Reminders
{
    public static async Task<IReadOnlyList<string>> OfAsync(InProcessTestCluster cluster, IAddressable grain)
    {
        var table = cluster.Silos[0].ServiceProvider.GetRequiredService<IReminderTable>();
        var rows = await table.ReadRows(grain.GetGrainId());
        return rows.Reminders.Select(r => r.ReminderName).ToList();
    }

    /// <summary>The reminders once the grain has settled: a finished job's status may be read while its settlement is
    /// still dropping the reminder (the settlement is a continuation, not a request), so this waits up to 10 s for none.</summary>
    public static async Task<IReadOnlyList<string>> SettledAsync(InProcessTestCluster cluster, IAddressable grain)
    {
        var deadline = DateTimeOffset.UtcNow.AddSeconds(10);
        while (true)
        {
            var rows = await OfAsync(cluster, grain);
            if (rows.Count == 0 || DateTimeOffset.UtcNow > deadline) return rows;
            await Task.Delay(100);
        }
    }
}
