using Orleans.Placement;

namespace MMInterp.Grains.Placement;

/// <summary>Places a grain only on silos that run accelerator work (role accelerator or both).</summary>
[Serializable, GenerateSerializer, Immutable, SuppressReferenceTracking]
public sealed class AcceleratorPlacement : PlacementStrategy
{
    public static readonly AcceleratorPlacement Instance = new();

    /// <summary>
    /// Request-context key a caller may set (a non-negative int) on the call that activates a grain: the grain then
    /// goes to accelerator slot <c>value % slots</c> instead of the one its id hashes to. A job numbering its shards
    /// 0..n-1 this way spreads them round-robin; hashing alone can put 12 of 16 shards on one of two silos.
    /// </summary>
    public const string SlotKey = "mminterp.placement.slot";
}

/// <summary>Marks a GPU-bound grain class: Model, extraction shards, TrainingRun.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class AcceleratorPlacementAttribute() : PlacementAttribute(AcceleratorPlacement.Instance);

/// <summary>Places a grain on control silos when there are any, so coordination stays off the accelerators.</summary>
[Serializable, GenerateSerializer, Immutable, SuppressReferenceTracking]
public sealed class ControlPlacement : PlacementStrategy
{
    public static readonly ControlPlacement Instance = new();
}

[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class ControlPlacementAttribute() : PlacementAttribute(ControlPlacement.Instance);
