using Orleans.Placement;

namespace MMInterp.Grains.Placement;

/// <summary>Places a grain only on silos that run accelerator work (role accelerator or both).</summary>
[Serializable, GenerateSerializer, Immutable, SuppressReferenceTracking]
public sealed class AcceleratorPlacement : PlacementStrategy
{
    public static readonly AcceleratorPlacement Instance = new();
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
