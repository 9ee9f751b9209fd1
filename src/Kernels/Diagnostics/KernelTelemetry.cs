using System.Diagnostics;

namespace MMInterp.Kernels.Diagnostics;

/// <summary>
/// Trace source for kernel work. It shares the platform's name "MMInterp" (hosts subscribe to that name), so a
/// kernel span started inside a grain call nests under the grain's span, which nests under the caller's.
/// The kernels stay free of Orleans and OpenTelemetry: this is plain System.Diagnostics.
/// </summary>
public static class KernelTelemetry
{
    public const string Name = "MMInterp";
    public static readonly ActivitySource Source = new(Name);
}
