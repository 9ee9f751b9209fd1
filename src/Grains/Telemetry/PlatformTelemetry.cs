using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace MMInterp.Grains.Telemetry;

/// <summary>The platform's own trace source and meter; hosts subscribe to the name "MMInterp".</summary>
public static class PlatformTelemetry
{
    public const string Name = "MMInterp";
    public static readonly ActivitySource Source = new(Name);
    public static readonly Meter Meter = new(Name);

    public static readonly Histogram<double> ShardSeconds = Meter.CreateHistogram<double>("mminterp.extraction.shard.duration", "s", "time to extract one shard");
    public static readonly Counter<long> ShardRetries = Meter.CreateCounter<long>("mminterp.extraction.shard.retries", description: "shard attempts that failed and were retried");
}
