using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MMInterp.Grains.Placement;

namespace MMInterp.Silo.Hosting;

/// <summary>
/// Stops the silo once it has had no client connected and no device slot leased for <c>idle</c>: the machine's local
/// silo is started on demand by the first CLI command and should not outlive its use. A leased slot means work (a
/// shard, a run, a pack, an analysis, a build) is running; unfinished work whose silo stopped resumes, through its
/// reminder, in the next local silo.
/// </summary>
sealed class IdleExit(TimeSpan idle, IGrainFactory grains, ILocalSiloDetails silo, DeviceSlots slots,
    IHostApplicationLifetime lifetime, ILogger<IdleExit> log) : BackgroundService
{
    static readonly TimeSpan Every = TimeSpan.FromSeconds(15);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var quietSince = DateTimeOffset.UtcNow;
        using var timer = new PeriodicTimer(Every);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            if (await BusyAsync()) quietSince = DateTimeOffset.UtcNow;
            else if (DateTimeOffset.UtcNow - quietSince >= idle)
            {
                log.LogWarning("no client and no work for {Minutes} minutes: stopping", idle.TotalMinutes);
                lifetime.StopApplication();
                return;
            }
        }
    }

    async Task<bool> BusyAsync()
    {
        if (slots.Holders().Any(h => h > 0)) return true;
        try
        {
            var stats = await grains.GetGrain<IManagementGrain>(0).GetRuntimeStatistics([silo.SiloAddress]);
            return stats.Any(s => s.ClientCount > 0);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return true; // cannot tell (starting, or the database away): not idle
        }
    }
}
