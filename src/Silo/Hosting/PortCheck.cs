using System.Net;
using System.Net.Sockets;

namespace MMInterp.Silo.Hosting;

/// <summary>
/// Refuses to start on a port another process listens on. Orleans binds with address reuse (SO_REUSEPORT on
/// Linux), so a second silo on the same address and port would start, take the first one for its own older
/// incarnation, and declare it dead: an accidental clash would kill a running silo instead of failing.
/// </summary>
public static class PortCheck
{
    public static void EnsureFree(SiloHostOptions options)
    {
        var address = IPAddress.IsLoopback(options.Address) ? options.Address : IPAddress.Any;
        Probe(address, options.SiloPort, "silo port", "--silo-port");
        if (options.GatewayPort != 0) Probe(address, options.GatewayPort, "gateway port", "--gateway-port");
    }

    static void Probe(IPAddress address, int port, string what, string flag)
    {
        var listener = new TcpListener(address, port) { ExclusiveAddressUse = true };
        try
        {
            listener.Start();
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.AddressAlreadyInUse or SocketError.AccessDenied)
        {
            throw new SiloStartException($"{what} {port} on {address} is already in use (another silo?); choose another {flag}", e);
        }
        finally
        {
            listener.Stop();
        }
    }
}
