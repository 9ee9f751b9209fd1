using System.Runtime.InteropServices;

namespace MMInterp.Client.Cli;

/// <summary>
/// Ends the process without running native static destructors. A command may have run kernels itself (quickstart's
/// local steps, reports) on thread-pool threads that are still inside libtorch when the command is done;
/// exit() then tears down libtorch's operator registry under it and the process aborts ("aten::matmul doesn't have
/// a schema registered") or segfaults after a successful command. Everything of ours is disposed and flushed first.
/// </summary>
public static class NativeExit
{
    public static int Now(int code)
    {
        Console.Out.Flush();
        Console.Error.Flush();
        if (!OperatingSystem.IsLinux()) return code;
        Exit(code);
        return code; // not reached
    }

    [DllImport("libc", EntryPoint = "_exit")]
    static extern void Exit(int status);
}
