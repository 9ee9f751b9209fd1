using MMInterp.Grains.Placement;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime.MembershipService.SiloMetadata;

namespace MMInterp.Silo.Placement;

public static class ComputeHostingExtensions
{
    /// <summary>Advertises this silo's compute as silo metadata, registers the compute-aware placement directors and
    /// the silo's device slots (one per device) that accelerator grains lease.</summary>
    public static ISiloBuilder AdvertiseCompute(this ISiloBuilder builder, SiloCompute compute)
    {
        builder.UseSiloMetadata(compute.Validated().ToMetadata());
        builder.Services.AddSingleton(compute);
        builder.Services.AddSingleton(new DeviceSlots(compute));
        builder.Services.AddPlacementDirector<AcceleratorPlacement, AcceleratorPlacementDirector>();
        builder.Services.AddPlacementDirector<ControlPlacement, ControlPlacementDirector>();
        return builder;
    }
}
