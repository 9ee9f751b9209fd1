using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace MMInterp.Silo.Hosting;

/// <summary>
/// An unused loopback TCP port (for the local silo, throwaway Postgres and tests), taken from below the kernel's
/// ephemeral range: a port the OS hands out for port 0 is also what it hands out as the source port of the next
/// outgoing connection, so between our probe and the silo's bind another process could take it (CI saw exactly that).
/// </summary>
public static class FreePorts
{
    const int Floor = 20000;
    static readonly ConcurrentDictionary<int, byte> Given = new();

    public static int Next()
    {
        var ceiling = EphemeralLow();
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var port = Random.Shared.Next(Floor, ceiling);
            if (!Given.TryAdd(port, 0)) continue; // never twice to this process
            if (Bindable(port)) return port;
        }
        // Everything probed was taken: fall back to the OS's choice rather than fail.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    static bool Bindable(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException) { return false; }
    }

    /// <summary>The low end of Linux's ephemeral range (32768 unless configured), so ours stay below it.</summary>
    static int EphemeralLow()
    {
        try
        {
            var text = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (int.TryParse(text[0], out var low) && low > Floor + 1000) return low;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or IndexOutOfRangeException) { }
        return 32768;
    }
}
