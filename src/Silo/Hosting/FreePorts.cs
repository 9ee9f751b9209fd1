using System.Net;
using System.Net.Sockets;

namespace MMInterp.Silo.Hosting;

/// <summary>Asks the OS for an unused loopback TCP port (for the local silo and tests).</summary>
public static class FreePorts
{
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
