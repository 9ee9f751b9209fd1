using Orleans.Configuration;

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
        silo.AddAdoNetGrainStorageAsDefault(o => Configure(o, connectionString));
        foreach (var name in StorageNames)
            silo.AddAdoNetGrainStorage(name, o => Configure(o, connectionString));
        return silo;
    }

    /// <summary>For an external Orleans client (the CLI against a running cluster): find gateways in the same table.</summary>
    public static IClientBuilder UseMMInterpPostgres(this IClientBuilder client, string connectionString)
    {
        Storage.PostgresConnections.Parse(connectionString);
        client.UseAdoNetClustering(o => { o.Invariant = Invariant; o.ConnectionString = connectionString; });
        return client;
    }

    static void Configure(AdoNetGrainStorageOptions o, string connectionString)
    {
        o.Invariant = Invariant;
        o.ConnectionString = connectionString;
    }
}
