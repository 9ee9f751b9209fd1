namespace MMInterp.Client.Web;

/// <summary>
/// The Orleans cluster behind the web app, connected on first use (`serve` hands in its session's client). Without
/// one (a registry-only host), routes that need grains answer 503 with the reason.
/// </summary>
public sealed class WebCluster(Func<CancellationToken, Task<IClusterClient>>? connect)
{
    public Task<IClusterClient> ConnectAsync(CancellationToken ct) =>
        connect?.Invoke(ct) ?? throw new ClusterUnavailableException("this web server runs without an Orleans cluster");
}

public sealed class ClusterUnavailableException(string message) : InvalidOperationException(message);
