using System.Runtime.InteropServices;

namespace PodShim.Interop;

internal static partial class Interop
{
    internal const int AF_INET = 2, AF_INET6 = 10;
    internal const int SOCK_STREAM = 1, SOCK_DGRAM = 2, SOCK_CLOEXEC = 0x80000;

    [LibraryImport(Libraries.Libc, EntryPoint = "socket", SetLastError = true)]
    internal static partial int Socket(int domain, int type, int protocol);
}
