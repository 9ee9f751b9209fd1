using MMInterp.Grains.Placement;
using MMInterp.Silo.Placement;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using Xunit;

namespace MMInterp.Grains.Tests;

/// <summary>One real silo with in-memory job storage and reminders, and the ports a test scripts: a lifecycle test's
/// cluster fixture names the silo's role and registers its fakes.</summary>
public abstract class OneSiloCluster(SiloRole role) : IAsyncLifetime
{
    public InProcessTestCluster Cluster { get; private set; } = null!;

    /// <summary>The scripted ports (executors, recorders) the silo's grains get.</summary>
    protected abstract void AddPorts(IServiceCollection services);

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AdvertiseCompute(new SiloCompute(role, "cpu", 1, 1L << 30));
            silo.AddMemoryGrainStorage("jobs");
            silo.UseInMemoryReminderService();
            AddPorts(silo.Services);
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public Task DisposeAsync() => Cluster.DisposeAsync().AsTask();
}
