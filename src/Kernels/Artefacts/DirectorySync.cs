using System.Runtime.InteropServices;

namespace MMInterp.Kernels.Artefacts;

/// <summary>
/// fsync of a directory, so a rename into it survives a power cut. .NET has no API for it (it refuses to open
/// directories as files), so on Linux/macOS this calls libc directly; elsewhere it is a no-op.
/// </summary>
internal static partial class DirectorySync
{
    static bool _available = true;

    /// <summary>False once libc could not be called (tests check it stays true on Linux).</summary>
    internal static bool Available => _available;

    public static void Fsync(string directory)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS() || !_available) return;
        int fd;
        try
        {
            fd = Open(directory, 0 /* O_RDONLY: enough for fsync on a directory */);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // An unusual libc: the file's own bytes are already fsynced; only the rename's durability is lost.
            _available = false;
            return;
        }
        if (fd < 0) throw new IOException($"cannot open directory {directory} to fsync it (errno {Marshal.GetLastPInvokeError()})");
        try
        {
            if (FsyncFd(fd) != 0) throw new IOException($"fsync of directory {directory} failed (errno {Marshal.GetLastPInvokeError()})");
        }
        finally
        {
            Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int FsyncFd(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
