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
}
