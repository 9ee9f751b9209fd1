namespace MMInterp.Client.Web;

/// <summary>
/// The Orleans cluster behind the web app, connected once on first use (`serve` hands in its session's connect).
/// Without one (a registry-only host), routes that need grains answer 503 with the reason.
/// </summary>
public sealed class WebCluster(Func<CancellationToken, Task<IClusterClient>>? connect)
{
    readonly Lock _gate = new();
    Task<IClusterClient>? _client;

    public Task<IClusterClient> ConnectAsync(CancellationToken ct)
    {
        if (connect is null) throw new ClusterUnavailableException("this web server runs without an Orleans cluster");
        lock (_gate)
        {
            // Concurrent requests share one connection attempt; a failed attempt is retried by the next request.
            if (_client is null || _client.IsFaulted || _client.IsCanceled) _client = connect(CancellationToken.None);
            return _client.WaitAsync(ct);
        }
    }
}

public sealed class ClusterUnavailableException(string message) : InvalidOperationException(message);
