using System.Collections.Concurrent;
using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Grains.Contracts;
using MMInterp.Grains.ExtractionJobs;
using MMInterp.Grains.Models;
using MMInterp.Grains.Placement;
using MMInterp.Silo.Placement;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using Xunit;

namespace MMInterp.Grains.Tests.Placement;

/// <summary>
/// Two real accelerator silos, each advertising two (CPU) device slots: four shards working at once are spread two per
/// silo, each silo hands its two shards distinct slots, every executor receives the slot its grain holds, and the
/// slots are free again when the shards end.
/// </summary>
public sealed class DeviceSlotPlacementTests : IAsyncLifetime
{
    const int Shards = 4;
    static readonly ConcurrentBag<(string Silo, DeviceSlot Slot, int Shard)> Received = new();
    static readonly TaskCompletionSource AllWorking = new(TaskCreationOptions.RunContinuationsAsynchronously);
    static int _working;
    InProcessTestCluster _cluster = null!;

    /// <summary>Records the slot it was handed and holds the shard until all four work at once, so leases overlap.</summary>
    sealed class SlotRecordingExtractor : IShardExtractor
    {
        public async Task<ShardOutput> ExtractAsync(ShardAssignment a, string silo, DeviceSlot slot, CancellationToken ct)
        {
            Received.Add((silo, slot, a.Index));
            if (Interlocked.Increment(ref _working) == Shards) AllWorking.TrySetResult();
            await AllWorking.Task.WaitAsync(TimeSpan.FromSeconds(30), ct);
            return new ShardOutput(a.Index, new Dictionary<string, string>(), a.Count, silo);
        }

        public Task<string> FinalizeAsync(string jobId, ExtractionJobSpec spec, IReadOnlyList<ShardOutput> outputs, CancellationToken ct) =>
            throw new NotSupportedException("this test runs shards only");
    }

    /// <summary>Records the device a Model grain loads on and how many slots of its silo are held meanwhile.</summary>
    sealed class DeviceRecordingModelHost(DeviceSlots slots) : IModelHost
    {
        public static readonly ConcurrentBag<(string Device, int Held)> Seen = new();

        public Task<ModelInfo> DescribeAsync(string modelId, string silo, string device, CancellationToken ct)
        {
            Seen.Add((device, slots.Holders().Sum()));
            return Task.FromResult(new ModelInfo(modelId, "clip", [], 0, silo));
        }
    }

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(2);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AdvertiseCompute(new SiloCompute(SiloRole.Accelerator, "cpu", 2, 1L << 30));
            silo.Services.AddSingleton<IShardExtractor, SlotRecordingExtractor>();
            silo.Services.AddSingleton<IModelHost, DeviceRecordingModelHost>();
        });
        _cluster = builder.Build();
        await _cluster.DeployAsync();
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task ConcurrentShardsGetDistinctSlotsAndTheirExecutorsReceiveThem()
    {
        var spec = new ExtractionJobSpec("m", ["h"], DatasetSpec.Parse("shapes:train:8"), Shards: Shards);
        var runs = Enumerable.Range(0, Shards).Select(i =>
        {
            // As the job grain does: the shard index picks the cluster-wide slot, round-robin over silos' devices.
            RequestContext.Set(AcceleratorPlacement.SlotKey, i);
            try
            {
                var (start, count) = spec.ShardRange(i);
                return _cluster.Client.GetGrain<IExtractionShardGrain>($"slots/{i}").Run(new ShardAssignment("slots", i, 1, spec, start, count));
            }
            finally
            {
                RequestContext.Remove(AcceleratorPlacement.SlotKey);
            }
        }).ToList();
        var outputs = await Task.WhenAll(runs);

        var received = Received.ToList();
        Assert.Equal(Shards, received.Count);
        Assert.Equal(outputs.Select(o => o.Silo).Order(), received.Select(r => r.Silo).Order());
        // Two silos, two shards each, and on each silo the two slots 0 and 1: no two working shards share a device slot.
        var bySilo = received.GroupBy(r => r.Silo).ToList();
        Assert.Equal(2, bySilo.Count);
        Assert.All(bySilo, g => Assert.Equal([0, 1], g.Select(r => r.Slot.Index).Order().ToArray()));
        Assert.All(received, r => Assert.Equal("cpu", r.Slot.Device));

        // Leases end with the work.
        foreach (var silo in _cluster.Silos)
            Assert.Equal([0, 0], silo.ServiceProvider.GetRequiredService<DeviceSlots>().Holders());
    }

    [Fact]
    public async Task AModelGrainLoadsOnTheDeviceOfTheSlotItHolds()
    {
        var info = await _cluster.Client.GetGrain<IModelGrain>("slot-model").Describe();
        Assert.Equal("slot-model", info.Id);
        var (device, held) = Assert.Single(DeviceRecordingModelHost.Seen);
        Assert.Equal(("cpu", 1), (device, held));
        foreach (var silo in _cluster.Silos)
            Assert.Equal([0, 0], silo.ServiceProvider.GetRequiredService<DeviceSlots>().Holders());
    }

    [Fact]
    public void CudaSlotsNameTheirDevicesAndTheLeastLoadedSlotIsLeasedFirst()
    {
        var slots = new DeviceSlots(new SiloCompute(SiloRole.Accelerator, "cuda", 3, 1L << 30));
        var a = slots.Lease();
        var b = slots.Lease();
        Assert.Equal(("cuda:0", "cuda:1"), (a.Slot.Device, b.Slot.Device));
        a.Dispose();
        a.Dispose(); // a second dispose frees nothing more
        Assert.Equal([0, 1, 0], slots.Holders());
        var c = slots.Lease();
        var d = slots.Lease();
        Assert.Equal((0, 2), (c.Slot.Index, d.Slot.Index));
        var e = slots.Lease(); // every slot is held: shares the lowest-index least-loaded one
        Assert.Equal(0, e.Slot.Index);
        Assert.Equal([2, 1, 1], slots.Holders());
    }

    [Fact]
    public void AnAcceleratorSiloAdvertisesASlotPerDeviceLibtorchSees()
    {
        var accelerator = LocalCompute.Detect(SiloRole.Accelerator);
        // The default backend (TorchSharp-cpu) sees no CUDA device: the CPU is one slot. A CUDA build on a GPU machine
        // advertises every GPU.
        var gpus = TorchSharp.torch.cuda.is_available() ? TorchSharp.torch.cuda.device_count() : 0;
        Assert.Equal(gpus > 0 ? ("cuda", gpus) : ("cpu", 1), (accelerator.DeviceKind, accelerator.DeviceCount));
        Assert.Equal(gpus > 0 ? new DeviceSlot(0, "cuda:0") : DeviceSlot.Cpu, new DeviceSlots(accelerator).Lease().Slot);
        var control = LocalCompute.Detect(SiloRole.Control);
        Assert.Equal((SiloRole.Control, "cpu"), (control.Role, control.DeviceKind));
    }
}
