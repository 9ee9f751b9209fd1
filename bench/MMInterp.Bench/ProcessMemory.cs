using System.Globalization;

namespace MMInterp.Bench;

/// <summary>This process's resident memory from /proc/self/status (Linux), and a reset of its high-water mark so a peak
/// can be taken over one phase (loading, extraction) rather than the process's whole life.</summary>
public static class ProcessMemory
{
    public static double PeakRssMb() => Field("VmHWM");

    public static double RssMb() => Field("VmRSS");

    /// <summary>Sets VmHWM back to the current RSS (writing 5 to clear_refs, Linux >= 4.0).</summary>
    public static void ResetPeak() => File.WriteAllText("/proc/self/clear_refs", "5");

    static double Field(string name)
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith(name + ":", StringComparison.Ordinal));
        return double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
    }
}
