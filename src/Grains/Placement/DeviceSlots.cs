namespace MMInterp.Grains.Placement;

/// <summary>
/// The accelerator slots of this silo (one per advertised device) and how many working grains hold each. Placement
/// picks the silo; this picks the slot: an accelerator grain takes a lease on the least-loaded slot (the lowest index
/// on ties) for as long as its work runs and hands the slot's device to its executor. Two grains working at once on a
/// two-device silo therefore get devices 0 and 1; a third shares the least-loaded one.
/// </summary>
public sealed class DeviceSlots
{
    readonly string _kind;
    readonly int[] _holders;

    public DeviceSlots(SiloCompute compute)
    {
        _kind = compute.DeviceKind;
        MemoryBytes = compute.MemoryBytes;
        _holders = new int[Math.Max(1, compute.DeviceCount)];
    }

    public int Count => _holders.Length;

    /// <summary>The memory this silo advertises (the host's; 0 when unknown): what a spec's sizes must fit in.</summary>
    public long MemoryBytes { get; }

    /// <summary>cpu or cuda, as advertised.</summary>
    public string Kind => _kind;

    /// <summary>How many leases each slot holds now.</summary>
    public int[] Holders()
    {
        lock (_holders) return (int[])_holders.Clone();
    }

    /// <summary>Takes the least-loaded slot until the lease is disposed.</summary>
    public DeviceLease Lease()
    {
        lock (_holders)
        {
            var best = 0;
            for (var i = 1; i < _holders.Length; i++)
                if (_holders[i] < _holders[best]) best = i;
            _holders[best]++;
            return new DeviceLease(this, DeviceSlot.Of(_kind, best));
        }
    }

    internal void Release(int index)
    {
        lock (_holders) _holders[index]--;
    }
}

/// <summary>A grain's hold on one slot; disposing it (once) frees the slot for the next grain.</summary>
public sealed class DeviceLease : IDisposable
{
    DeviceSlots? _owner;

    internal DeviceLease(DeviceSlots owner, DeviceSlot slot)
    {
        _owner = owner;
        Slot = slot;
    }

    public DeviceSlot Slot { get; }

    public void Dispose() => Interlocked.Exchange(ref _owner, null)?.Release(Slot.Index);
}
