using System.Collections.Concurrent;
using MMInterp.Grains.Contracts;
using MMInterp.Grains.Placement;
using MMInterp.Silo.Placement;
using Orleans.TestingHost;
using Xunit;

namespace MMInterp.Grains.Tests.Placement;

/// <summary>Three real silos, one of them an accelerator: GPU-bound grains land only there, control grains never do.</summary>
public sealed class AcceleratorPlacementTests : IAsyncLifetime
{
    readonly ConcurrentDictionary<string, SiloRole> _roles = new();
    InProcessTestCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(3);
        builder.ConfigureSilo((options, silo) =>
        {
            // The first silo to be configured is the accelerator; the other two are control silos.
            // Silos are configured concurrently: count and insert under one lock, or two could both see a free slot.
            SiloRole role;
            lock (_roles) role = _roles.GetOrAdd(options.SiloName, _ => _roles.IsEmpty ? SiloRole.Accelerator : SiloRole.Control);
            silo.AdvertiseCompute(role == SiloRole.Accelerator
                ? new SiloCompute(SiloRole.Accelerator, "cpu", 2, 1L << 30)
                : SiloCompute.LocalCpu(SiloRole.Control));
        });
        _cluster = builder.Build();
        await _cluster.DeployAsync();
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task AcceleratorGrainsLandOnlyOnTheAcceleratorAndControlGrainsNever()
    {
        var accelerator = _cluster.Silos.Single(s => _roles[s.Name] == SiloRole.Accelerator).SiloAddress.ToString();
        var client = _cluster.Client;

        var gpuHosts = await Task.WhenAll(Enumerable.Range(0, 24).Select(i => client.GetGrain<IAcceleratorProbeGrain>($"shard-{i}").SiloAddress()));
        var controlHosts = await Task.WhenAll(Enumerable.Range(0, 24).Select(i => client.GetGrain<IControlProbeGrain>($"job-{i}").SiloAddress()));

        Assert.All(gpuHosts, h => Assert.Equal(accelerator, h));
        var controlSilos = _cluster.Silos.Where(s => _roles[s.Name] == SiloRole.Control).Select(s => s.SiloAddress.ToString()).ToHashSet();
        Assert.Equal(2, controlSilos.Count);
        Assert.All(controlHosts, h => Assert.Contains(h, controlSilos));
    }
}
