using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Serialization;
using Orleans.Storage;

namespace MMInterp.Silo.Hosting;

/// <summary>
/// Orleans' ADO.NET clustering, grain storage and reminders on the project's PostgreSQL schema
/// (infra/sql/0001-0004; apply <see cref="Storage.Migrations"/> first).
/// </summary>
public static class PostgresProviders
{
    /// <summary>The ADO.NET invariant Orleans maps to Npgsql's DbProviderFactory (loaded from the Npgsql assembly).</summary>
    public const string Invariant = "Npgsql";

    /// <summary>Named grain storages grains ask for besides the default one; all share the OrleansStorage table.</summary>
    public static readonly IReadOnlyList<string> StorageNames = ["jobs"];

    public static ISiloBuilder UseMMInterpPostgres(this ISiloBuilder silo, string connectionString)
    {
        Storage.PostgresConnections.Parse(connectionString);
        silo.UseAdoNetClustering(o => { o.Invariant = Invariant; o.ConnectionString = connectionString; });
        silo.UseAdoNetReminderService(o => { o.Invariant = Invariant; o.ConnectionString = connectionString; });
        silo.AddAdoNetGrainStorageAsDefault(ob => Configure(ob, connectionString));
        foreach (var name in StorageNames)
            silo.AddAdoNetGrainStorage(name, ob => Configure(ob, connectionString));
        return silo;
    }

    /// <summary>For an external Orleans client (the CLI against a running cluster): find gateways in the same table.</summary>
    public static IClientBuilder UseMMInterpPostgres(this IClientBuilder client, string connectionString)
    {
        Storage.PostgresConnections.Parse(connectionString);
        client.UseAdoNetClustering(o => { o.Invariant = Invariant; o.ConnectionString = connectionString; });
        return client;
    }

    /// <summary>
    /// State is stored with Orleans' own serializer rather than the provider's default JSON: every grain state
    /// type here is already [GenerateSerializer] with [Id] members, which makes it version tolerant and exact
    /// (records, read-only collections) without a second set of serialization rules.
    /// </summary>
    public static void Configure(OptionsBuilder<AdoNetGrainStorageOptions> options, string connectionString) =>
        options.Configure<Serializer>((o, serializer) =>
        {
            o.Invariant = Invariant;
            o.ConnectionString = connectionString;
            o.GrainStorageSerializer = new OrleansGrainStorageSerializer(serializer);
        });
}
