using System.Diagnostics;
using MMInterp.Grains.Contracts;
using MMInterp.Grains.Telemetry;
using Xunit;

namespace MMInterp.Integration.Tests.Cluster;

/// <summary>One three-silo cluster shared by the tests of its collection (each test uses its own grains and keys).</summary>
public sealed class ThreeSiloCluster : IAsyncLifetime
{
    public PostgresTestCluster Cluster { get; private set; } = null!;
    public async Task InitializeAsync() => Cluster = await PostgresTestCluster.StartAsync(3);
    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

/// <summary>Three silos on Postgres clustering: membership, grain state, reminders and trace propagation.</summary>
[CollectionDefinition(Name)]
public sealed class ThreeSiloCollection : ICollectionFixture<ThreeSiloCluster>
{
    public const string Name = "three Postgres silos";
}

[Collection(ThreeSiloCollection.Name)]
public sealed class PostgresClusterTests(ThreeSiloCluster fixture)
{
    readonly PostgresTestCluster _c = fixture.Cluster;

    [Fact]
    public async Task SilosJoinThroughThePostgresMembershipTable()
    {
        var clusterId = _c.Cluster.Options.ClusterId;
        var active = await _c.ScalarAsync<long>("SELECT count(*) FROM OrleansMembershipTable WHERE DeploymentId = $1 AND Status = 3", clusterId);
        Assert.Equal(3, active);
        var hosts = await _c.Client.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true);
        Assert.Equal(3, hosts.Count);
    }

    [Fact]
    public async Task GrainStateIsWrittenToPostgres()
    {
        var counter = _c.Client.GetGrain<ICounterGrain>("state-row");
        await counter.Add(5);
        Assert.Equal(7, (await counter.Add(2)).Value);
        var rows = await _c.ScalarAsync<long>("SELECT count(*) FROM OrleansStorage WHERE GrainIdExtensionString = 'state-row' AND PayloadBinary IS NOT NULL AND Version = 2");
        Assert.Equal(1, rows);
        // Orleans' binary serializer, not the provider's default JSON (see PostgresProviders.Configure).
        var firstByte = await _c.ScalarAsync<int>("SELECT get_byte(PayloadBinary, 0) FROM OrleansStorage WHERE GrainIdExtensionString = 'state-row'");
        Assert.NotEqual('{', (char)firstByte);
    }

    [Fact]
    public async Task ReminderFiresAndIsStoredInPostgres()
    {
        var probe = _c.Client.GetGrain<IReminderProbeGrain>("ticks");
        await probe.Start(TimeSpan.FromSeconds(1));
        Assert.Equal(1, await _c.ScalarAsync<long>("SELECT count(*) FROM OrleansRemindersTable WHERE ReminderName = 'probe' AND Period = 1000"));

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(45);
        ReminderProbeReading reading;
        while ((reading = await probe.Read()).Ticks < 2 && DateTime.UtcNow < deadline) await Task.Delay(250);
        Assert.True(reading.Ticks >= 2, $"reminder ticked {reading.Ticks} times in 45 s");

        await probe.Stop();
        Assert.Equal(0, await _c.ScalarAsync<long>("SELECT count(*) FROM OrleansRemindersTable WHERE ReminderName = 'probe'"));
    }

    [Fact]
    public async Task TraceContextFlowsFromCallerIntoTheGrain()
    {
        using var testSource = new ActivitySource("MMInterp.Tests");
        var seen = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name is "MMInterp.Tests" or PlatformTelemetry.Name || s.Name.StartsWith("Microsoft.Orleans", StringComparison.Ordinal),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => { lock (seen) seen.Add(a); },
        };
        ActivitySource.AddActivityListener(listener);

        ActivityTraceId traceId;
        using (var root = testSource.StartActivity("cli.request"))
        {
            Assert.NotNull(root);
            traceId = root.TraceId;
            await _c.Client.GetGrain<ICounterGrain>("traced").Add(1);
        }

        lock (seen)
        {
            var grainSpan = Assert.Single(seen, a => a.OperationName == "smoke.counter.add");
            Assert.Equal(traceId, grainSpan.TraceId);
            // Orleans' own client and server spans sit between the caller and the grain's span.
            Assert.Contains(seen, a => a.Source.Name.StartsWith("Microsoft.Orleans", StringComparison.Ordinal) && a.TraceId == traceId);
        }
    }
}
