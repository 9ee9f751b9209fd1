using MMInterp.Silo.Storage;
using Npgsql;
using Xunit;

namespace MMInterp.Silo.Tests.Storage;

/// <summary>The Orleans part of the schema (0001-0004): the query catalogue the 10.x providers need, applied once.</summary>
public class OrleansSchemaTests
{
    /// <summary>Every key Orleans 10.4's ADO.NET clustering, grain storage and reminder providers look up.</summary>
    static readonly string[] ProviderQueryKeys =
    [
        "GatewaysQueryKey", "MembershipReadRowKey", "MembershipReadAllKey", "InsertMembershipVersionKey",
        "UpdateIAmAlivetimeKey", "InsertMembershipKey", "UpdateMembershipKey", "DeleteMembershipTableEntriesKey",
        "CleanupDefunctSiloEntriesKey", "CleanupDefunctSiloEntryKey",
        "ReadFromStorageKey", "WriteToStorageKey", "ClearStorageKey", "DeleteStorageKey",
        "ReadReminderRowsKey", "ReadReminderRowKey", "ReadRangeRows1Key", "ReadRangeRows2Key",
        "UpsertReminderRowKey", "DeleteReminderRowKey", "DeleteReminderRowsKey",
    ];

    [Fact]
    public async Task OrleansMigrationsApplyOnceKeepTheirDataAndCarryEveryProviderQuery()
    {
        await using var pg = await LocalPostgres.StartThrowawayAsync();
        var first = await Migrations.ApplyAsync(pg.ConnectionString);
        Assert.Equal(
            ["0001_orleans_query_table.sql", "0002_orleans_clustering.sql", "0003_orleans_persistence.sql", "0004_orleans_reminders.sql"],
            first.Where(n => string.CompareOrdinal(n, "0050") < 0));

        await using (var conn = await PostgresConnections.OpenAsync(pg.ConnectionString))
        await using (var seed = new NpgsqlCommand("""
            INSERT INTO OrleansMembershipVersionTable (DeploymentId) VALUES ('c');
            INSERT INTO OrleansStorage (GrainIdHash, GrainIdN0, GrainIdN1, GrainTypeHash, GrainTypeString, ServiceId, PayloadBinary, Version)
                VALUES (1, 0, 7, 2, 't', 's', '\x01', 1);
            INSERT INTO OrleansRemindersTable (ServiceId, GrainId, ReminderName, StartTime, Period, GrainHash, Version)
                VALUES ('s', 'g/1', 'r', now(), 60000, 5, 0);
            """, conn))
            await seed.ExecuteNonQueryAsync();

        Assert.Empty(await Migrations.ApplyAsync(pg.ConnectionString));

        await using var check = await PostgresConnections.OpenAsync(pg.ConnectionString);
        await using var counts = new NpgsqlCommand("""
            SELECT (SELECT count(*) FROM OrleansMembershipVersionTable), (SELECT count(*) FROM OrleansStorage),
                   (SELECT count(*) FROM OrleansRemindersTable), (SELECT count(*) FROM OrleansQuery)
            """, check);
        await using var r = await counts.ExecuteReaderAsync();
        Assert.True(await r.ReadAsync());
        Assert.Equal((1L, 1L, 1L), (r.GetInt64(0), r.GetInt64(1), r.GetInt64(2)));
        Assert.Equal(ProviderQueryKeys.Length, r.GetInt64(3));
        await r.CloseAsync();

        await using var cmd = new NpgsqlCommand("SELECT QueryKey FROM OrleansQuery ORDER BY QueryKey", check);
        var keys = new List<string>();
        await using (var k = await cmd.ExecuteReaderAsync())
            while (await k.ReadAsync()) keys.Add(k.GetString(0));
        Assert.Equal(ProviderQueryKeys.Order(StringComparer.Ordinal), keys);
    }
}
