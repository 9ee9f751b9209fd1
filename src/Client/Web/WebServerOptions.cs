using System.Net;

namespace MMInterp.Client.Web;

/// <summary>Where `mminterp serve` listens. Port 0 picks a free port (tests).</summary>
public sealed record WebServerOptions(int Port = WebServerOptions.DefaultPort, string Bind = WebServerOptions.DefaultBind)
{
    public const int DefaultPort = 5080;
    public const string DefaultBind = "127.0.0.1";

    public WebServerOptions Validated()
    {
        if (Port is < 0 or > 65535) throw new ArgumentException($"--port must be 0-65535, got {Port}");
        if (!IPAddress.TryParse(Bind, out _)) throw new ArgumentException($"--bind must be an IP address such as 127.0.0.1 or 0.0.0.0, got '{Bind}'");
        return this;
    }

    public IPAddress Address => IPAddress.Parse(Bind);
}
