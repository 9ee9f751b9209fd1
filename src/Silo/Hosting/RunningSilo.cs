using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MMInterp.Silo.Storage;
using Npgsql;

namespace MMInterp.Silo.Hosting;

/// <summary>A started silo host. In-process callers use <see cref="Client"/>; it talks to grains without a gateway hop.</summary>
public sealed class RunningSilo : IAsyncDisposable
{
    readonly bool _deleteMembershipOnStop;
    int _stopped;

    internal RunningSilo(IHost host, SiloHostOptions options, bool deleteMembershipOnStop)
    {
        Host = host;
        Options = options;
        _deleteMembershipOnStop = deleteMembershipOnStop;
    }

    public IHost Host { get; }
    public SiloHostOptions Options { get; }
    public IServiceProvider Services => Host.Services;
    public IClusterClient Client => Host.Services.GetRequiredService<IClusterClient>();
    public IGrainFactory Grains => Host.Services.GetRequiredService<IGrainFactory>();

    /// <summary>Graceful stop: the silo hands its grains off and marks itself dead in membership.</summary>
    public async Task StopAsync(CancellationToken ct = default)
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1) return;
        await Host.StopAsync(ct);
        // A local silo's cluster id is used once; drop its membership rows so they do not pile up.
        if (_deleteMembershipOnStop) await DeleteMembershipAsync(ct);
    }

    public async ValueTask DisposeAsync()
    {
        try { await StopAsync(); }
        finally { Host.Dispose(); }
    }

    Task DeleteMembershipAsync(CancellationToken ct) => DeleteMembershipAsync(Options.ConnectionString, Options.ClusterId, ct);

    /// <summary>Drops the membership rows of a one-use cluster id (a stopped or dead local silo's); a database that is
    /// gone leaves them, and they are harmless leftovers.</summary>
    public static async Task DeleteMembershipAsync(string connectionString, string clusterId, CancellationToken ct)
    {
        try
        {
            await using var conn = await PostgresConnections.OpenAsync(connectionString, ct);
            await using var cmd = new NpgsqlCommand(
                "DELETE FROM OrleansMembershipTable WHERE DeploymentId = @id; DELETE FROM OrleansMembershipVersionTable WHERE DeploymentId = @id", conn);
            cmd.Parameters.AddWithValue("id", clusterId);
            await cmd.ExecuteNonQueryAsync(ct);
        }
        catch (InvalidOperationException) { }
        catch (NpgsqlException) { }
    }
}
