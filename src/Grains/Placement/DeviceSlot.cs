namespace MMInterp.Grains.Placement;

/// <summary>
/// One accelerator slot of a silo, as handed to the grain working in it and on to its executor: the slot's index on
/// the silo and the libtorch device its tensors go to ("cuda:{Index}" on a CUDA silo; "cpu" for every slot of a CPU
/// silo, whose slots share the one CPU device and only bound how many grains work at once).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record DeviceSlot([property: Id(0)] int Index, [property: Id(1)] string Device)
{
    /// <summary>What a process without an advertised silo (the CLI's local runs, tests of one executor) works on.</summary>
    public static readonly DeviceSlot Cpu = new(0, "cpu");

    /// <summary>Slot <paramref name="index"/> of a silo whose devices are of <paramref name="kind"/> (cpu or cuda).</summary>
    public static DeviceSlot Of(string kind, int index) => new(index, kind == "cuda" ? $"cuda:{index}" : "cpu");
}
