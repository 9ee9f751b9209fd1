namespace MMInterp.Grains.Placement;

/// <summary>What a silo offers for tensor work. Advertised as Orleans silo metadata so placement can read it.</summary>
/// <param name="Role">accelerator: runs GPU-bound grains only; control: coordination only; both: a single-silo cluster.</param>
/// <param name="DeviceKind">cpu or cuda; a CPU-only cluster marks some silos as accelerators by config.</param>
/// <param name="DeviceCount">How many devices, each one accelerator slot: placement spreads work over silos in proportion
/// to it, and the silo leases its slots to the grains working on it (<see cref="DeviceSlots"/>; slot i is cuda:i on a
/// cuda silo, the shared cpu device on a cpu one).</param>
/// <param name="MemoryBytes">Device memory (or host memory for cpu) available to kernels.</param>
public sealed record SiloCompute(SiloRole Role, string DeviceKind, int DeviceCount, long MemoryBytes)
{
    public const string RoleKey = "mminterp.role";
    public const string DeviceKindKey = "mminterp.device.kind";
    public const string DeviceCountKey = "mminterp.device.count";
    public const string MemoryKey = "mminterp.device.memory";

    public bool RunsAcceleratorWork => Role is SiloRole.Accelerator or SiloRole.Both;

    public SiloCompute Validated()
    {
        if (DeviceKind is not ("cpu" or "cuda")) throw new ArgumentException($"SiloCompute.DeviceKind must be cpu or cuda, got '{DeviceKind}'");
        if (DeviceCount < 1) throw new ArgumentException($"SiloCompute.DeviceCount must be at least 1, got {DeviceCount}");
        if (MemoryBytes < 0) throw new ArgumentException($"SiloCompute.MemoryBytes must be non-negative, got {MemoryBytes}");
        return this;
    }

    public Dictionary<string, string> ToMetadata() => new()
    {
        [RoleKey] = Role.ToString().ToLowerInvariant(),
        [DeviceKindKey] = DeviceKind,
        [DeviceCountKey] = DeviceCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
        [MemoryKey] = MemoryBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>Reads advertised metadata; a silo that advertised nothing is a control silo.</summary>
    public static SiloCompute FromMetadata(IReadOnlyDictionary<string, string> metadata)
    {
        if (!metadata.TryGetValue(RoleKey, out var role)) return new SiloCompute(SiloRole.Control, "cpu", 1, 0);
        return new SiloCompute(
            ParseRole(role),
            metadata.GetValueOrDefault(DeviceKindKey, "cpu"),
            int.TryParse(metadata.GetValueOrDefault(DeviceCountKey), out var n) && n > 0 ? n : 1,
            long.TryParse(metadata.GetValueOrDefault(MemoryKey), out var m) ? m : 0);
    }

    public static SiloRole ParseRole(string text) => text.Trim().ToLowerInvariant() switch
    {
        "accelerator" => SiloRole.Accelerator,
        "control" => SiloRole.Control,
        "both" => SiloRole.Both,
        _ => throw new ArgumentException($"silo role must be accelerator, control or both, got '{text}'"),
    };

    /// <summary>This machine's compute: CPU cores and memory, in the given role.</summary>
    public static SiloCompute LocalCpu(SiloRole role) =>
        new(role, "cpu", 1, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes);
}

public enum SiloRole
{
    Control,
    Accelerator,
    Both,
}
