using Microsoft.Extensions.DependencyInjection;
using Orleans.Providers;
using Orleans.Storage;
using Xunit;

namespace MMInterp.Integration.Tests.Cluster;

/// <summary>
/// The ADO.NET providers called directly on a running silo, for the paths grains rarely take:
/// stale-ETag conflicts, clear and delete, reminder ring ranges that wrap, conditional reminder removal.
/// </summary>
[Collection(ThreeSiloCollection.Name)]
public sealed class AdoNetProviderTests(ThreeSiloCluster fixture)
{
    readonly PostgresTestCluster _c = fixture.Cluster;

    [GenerateSerializer]
    public sealed class Payload
    {
        [Id(0)] public string Text { get; set; } = "";
        [Id(1)] public Dictionary<string, Part> Parts { get; set; } = [];
    }

    public enum Phase { Pending, Done }

    [GenerateSerializer, Immutable]
    public sealed record Part([property: Id(0)] Phase Phase, [property: Id(1)] IReadOnlyList<int> Shards, [property: Id(2)] DateTime At);

    public static TheoryData<string> Keys => new() { "string", "guid+ext", "integer" };

    [Theory]
    [MemberData(nameof(Keys))]
    public async Task GrainStorageDetectsStaleWritesAndClears(string keyKind)
    {
        var storage = _c.SiloServices().GetRequiredKeyedService<IGrainStorage>(ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME);
        var id = GrainIdFor(keyKind);
        const string type = "mminterp.test.payload";

        var first = new GrainState<Payload>(new Payload());
        await storage.ReadStateAsync(type, id, first);
        Assert.False(first.RecordExists);
        Assert.Null(first.ETag);

        first.State!.Text = "one";
        var part = new Part(Phase.Done, [3, 1, 2], new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc));
        first.State.Parts["a"] = part;
        await storage.WriteStateAsync(type, id, first);
        var second = new GrainState<Payload>(new Payload());
        await storage.ReadStateAsync(type, id, second);
        Assert.Equal("one", second.State!.Text);
        Assert.Equal(part.Shards, second.State.Parts["a"].Shards);
        Assert.Equal((part.Phase, part.At), (second.State.Parts["a"].Phase, second.State.Parts["a"].At));
        Assert.Equal(first.ETag, second.ETag);

        first.State!.Text = "two";
        await storage.WriteStateAsync(type, id, first);
        second.State!.Text = "stale";
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(type, id, second));

        // A first write racing an existing row must lose too (ETag null means "I think there is no row").
        var blind = new GrainState<Payload>(new Payload { Text = "blind" });
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(type, id, blind));

        await storage.ClearStateAsync(type, id, first);
        Assert.False(first.RecordExists);
        var afterClear = new GrainState<Payload>(new Payload());
        await storage.ReadStateAsync(type, id, afterClear);
        Assert.False(afterClear.RecordExists);
        Assert.Equal("", afterClear.State!.Text);
        Assert.Equal(first.ETag, afterClear.ETag);

        afterClear.State!.Text = "three";
        await storage.WriteStateAsync(type, id, afterClear);
        await storage.ReadStateAsync(type, id, second);
        Assert.Equal("three", second.State!.Text);
    }

    [Fact]
    public async Task DeleteOnClearRemovesTheRow()
    {
        var storage = _c.SiloServices().GetRequiredKeyedService<IGrainStorage>(PostgresTestCluster.DeletingStorage);
        var id = GrainId.Create("mminterp-test", "deleted");
        var state = new GrainState<Payload>(new Payload { Text = "x" });
        await storage.WriteStateAsync("t", id, state);
        Assert.Equal(1L, await _c.ScalarAsync<long>("SELECT count(*) FROM OrleansStorage WHERE GrainIdExtensionString = 'deleted'"));

        await storage.ClearStateAsync("t", id, state);
        Assert.Null(state.ETag);
        Assert.Equal(0L, await _c.ScalarAsync<long>("SELECT count(*) FROM OrleansStorage WHERE GrainIdExtensionString = 'deleted'"));

        state.State!.Text = "again";
        await storage.WriteStateAsync("t", id, state);
        Assert.Equal("1", state.ETag);
    }

    [Fact]
    public async Task ReminderTableReadsRingRangesAndRemovesOnlyWithTheCurrentETag()
    {
        var table = _c.SiloServices(1).GetRequiredService<IReminderTable>();
        var grain = GrainId.Create("mminterp-test", "ring");
        var etag = await table.UpsertRow(new ReminderEntry
        {
            GrainId = grain, ReminderName = "r", StartAt = DateTime.UtcNow, Period = TimeSpan.FromMinutes(3),
        });
        var hash = grain.GetUniformHashCode();

        var row = await table.ReadRow(grain, "r");
        Assert.Equal(TimeSpan.FromMinutes(3), row!.Period);
        Assert.Single((await table.ReadRows(grain)).Reminders);

        Assert.Contains(await Names(table, hash - 1, hash), n => n == "r");      // (hash-1, hash]
        Assert.DoesNotContain(await Names(table, hash, hash - 1), n => n == "r"); // everything but hash (wraps)
        Assert.Contains(await Names(table, hash + 5, hash + 4), n => n == "r");   // wraps, includes hash
        Assert.Contains(await Names(table, hash, hash), n => n == "r");           // whole ring

        var newer = await table.UpsertRow(new ReminderEntry
        {
            GrainId = grain, ReminderName = "r", StartAt = DateTime.UtcNow, Period = TimeSpan.FromMinutes(4),
        });
        Assert.NotEqual(etag, newer);
        Assert.False(await table.RemoveRow(grain, "r", etag!));
        Assert.True(await table.RemoveRow(grain, "r", newer!));
        Assert.Null(await table.ReadRow(grain, "r"));
    }

    static async Task<List<string>> Names(IReminderTable table, uint begin, uint end) =>
        (await table.ReadRows(begin, end)).Reminders.Select(r => r.ReminderName).ToList();

    static GrainId GrainIdFor(string keyKind) => keyKind switch
    {
        "string" => GrainId.Create("mminterp-test", "plain-string-key"),
        "guid+ext" => GrainId.Create(GrainType.Create("mminterp-test"), GrainIdKeyExtensions.CreateGuidKey(Guid.NewGuid(), "ext")),
        _ => GrainId.Create(GrainType.Create("mminterp-test"), GrainIdKeyExtensions.CreateIntegerKey(42)),
    };
}
