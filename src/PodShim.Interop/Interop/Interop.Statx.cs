using System.Runtime.InteropServices;

namespace PodShim.Interop;

internal static partial class Interop
{
    internal const uint STATX_BASIC_STATS = 0x7ff;

    /// <summary>statx(2) into a 256-byte buffer (struct statx has the same layout on every architecture).</summary>
    [LibraryImport(Libraries.Libc, EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static unsafe partial int Statx(SafeFdHandle dirFd, string path, int flags, uint mask, byte* buffer);

    internal const int AT_FDCWD = -100;

    /// <summary>statx relative to the working directory (<see cref="AT_FDCWD"/>).</summary>
    [LibraryImport(Libraries.Libc, EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static unsafe partial int StatxAt(int dirFd, string path, int flags, uint mask, byte* buffer);
}
