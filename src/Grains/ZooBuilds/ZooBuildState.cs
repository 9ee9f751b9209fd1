using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Grains.Contracts.ZooBuilds;
using MMInterp.Grains.Lifecycle;

namespace MMInterp.Grains.ZooBuilds;

/// <summary>Persisted progress of one zoo build. Aliased, so stored state keeps loading if the class moves.</summary>
[GenerateSerializer, Alias("mminterp.zoo-build-state")]
public sealed class ZooBuildState : IJobState<ZooBuildSpec>, ILaunchCounted
{
    [Id(0)] public ZooBuildSpec? Spec { get; set; }
    [Id(1)] public JobPhase Phase { get; set; } = JobPhase.Pending;
    [Id(2)] public string? Error { get; set; }
    [Id(3)] public DateTimeOffset UpdatedAt { get; set; }
    /// <summary>Optimiser steps reached of <see cref="Total"/> (the recipe's steps).</summary>
    [Id(4)] public int Step { get; set; }
    [Id(5)] public int Total { get; set; }
    /// <summary>What the trainer last said it was doing.</summary>
    [Id(6)] public string Stage { get; set; } = "";
    [Id(7)] public string? ModelId { get; set; }
    [Id(8)] public bool Cached { get; set; }
    [Id(9)] public int Starts { get; set; }
    [Id(10)] public string? LastSilo { get; set; }
    /// <summary>Transient failures in a row (see JobRetry).</summary>
    [Id(11)] public int TransientFailures { get; set; }
}
