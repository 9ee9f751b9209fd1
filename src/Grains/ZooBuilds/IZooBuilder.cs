using MMInterp.Grains.Contracts.ZooBuilds;
using MMInterp.Grains.Placement;

namespace MMInterp.Grains.ZooBuilds;

/// <summary>What a zoo build produced: the registered model, its checkpoint, and whether it was registered already.</summary>
public sealed record ZooBuildOutcome(string ModelId, string CheckpointSha256, bool Cached);

/// <summary>
/// The kernel-backed zoo training behind a ZooBuild grain, registered in each accelerator silo's services. Returns the
/// registered model at once when the recipe was built before; otherwise builds what the recipe requires first, trains
/// (deterministically: a restart after a lost silo gives the same weights), stores the model directory and registers
/// it under the recipe's model id with <paramref name="buildId"/> as its training run. Trains on the device of
/// <paramref name="slot"/> (the slot the grain leased) unless the spec names a CUDA device itself. Reports optimiser steps and a
/// stage through <paramref name="progress"/>. Throws ArgumentException or InvalidDataException when running again
/// would fail the same way.
/// </summary>
public interface IZooBuilder
{
    Task<ZooBuildOutcome> BuildAsync(string buildId, ZooBuildSpec spec, Func<int, string, Task> progress, DeviceSlot slot, CancellationToken ct);
}
