using System.Runtime.InteropServices;

namespace PodShim.Interop;

internal static partial class Interop
{
    internal const int MSG_NOSIGNAL = 0x4000;

    [LibraryImport(Libraries.Libc, EntryPoint = "send", SetLastError = true)]
    internal static unsafe partial nint Send(int fd, byte* buffer, nuint length, int flags);
}
