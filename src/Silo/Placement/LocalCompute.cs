using MMInterp.Grains.Placement;
using TorchSharp;

namespace MMInterp.Silo.Placement;

/// <summary>This machine's compute as its silo advertises it.</summary>
public static class LocalCompute
{
    /// <summary>
    /// The CUDA devices libtorch sees, one accelerator slot each, when this is a CUDA build on a machine that has them;
    /// otherwise the CPU as one slot. Control silos run no tensor work and advertise the CPU without loading libtorch.
    /// The memory advertised stays the host's: TorchSharp 0.107 has no query for a device's memory.
    /// </summary>
    public static SiloCompute Detect(SiloRole role)
    {
        var cpu = SiloCompute.LocalCpu(role);
        if (role == SiloRole.Control || !torch.cuda.is_available()) return cpu;
        var devices = torch.cuda.device_count();
        return devices > 0 ? cpu with { DeviceKind = "cuda", DeviceCount = devices } : cpu;
    }
}
