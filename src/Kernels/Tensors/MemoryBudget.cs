using System.Globalization;

namespace MMInterp.Kernels.Tensors;

/// <summary>
/// Sizes asked for by a config or spec against this machine's memory, checked before anything is allocated, so an
/// impossible size is one line here instead of libtorch's native allocator trace (or a process that grows until the
/// OS kills it).
/// </summary>
public static class MemoryBudget
{
    /// <summary>The memory this process may use: physical memory, or the container's limit when there is one.</summary>
    public static long AvailableBytes => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    /// <summary>"asks for 4.0 TB of weights; this machine has 24 GB" when <paramref name="bytes"/> does not fit, else null.</summary>
    /// <param name="what">what the bytes are for, e.g. "weights"</param>
    public static string? Exceeds(double bytes, string what)
    {
        var available = AvailableBytes;
        return bytes > available ? $"asks for {Format(bytes)} of {what}; this machine has {Format(available)}" : null;
    }

    /// <summary>Bytes in the largest unit that keeps the number at or above 1 (decimal units, one decimal).</summary>
    public static string Format(double bytes)
    {
        string[] units = ["bytes", "KB", "MB", "GB", "TB", "PB", "EB"];
        var i = 0;
        while (bytes >= 1000 && i < units.Length - 1) { bytes /= 1000; i++; }
        return i == 0 ? $"{bytes:0} bytes" : string.Format(CultureInfo.InvariantCulture, bytes >= 100 ? "{0:0} {1}" : "{0:0.0} {1}", bytes, units[i]);
    }
}
