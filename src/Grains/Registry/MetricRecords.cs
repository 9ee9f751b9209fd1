namespace MMInterp.Grains.Registry;

/// <summary>One value of one metric of one run at one step (loss, l0, fvu, ...).</summary>
[GenerateSerializer, Immutable]
public readonly record struct MetricPoint(string RunId, string Name, long Step, double Value);

/// <summary>What a run has logged under one metric name.</summary>
[GenerateSerializer, Immutable]
public sealed record MetricSeriesSummary(string Name, long Points, long FirstStep, long LastStep, double LastValue);

[GenerateSerializer, Immutable]
public readonly record struct StepValue(long Step, double Value);
