using System.Runtime.InteropServices;

namespace PodShim.Interop;

internal static partial class Interop
{
    [LibraryImport(Libraries.Libc, EntryPoint = "recv", SetLastError = true)]
    internal static unsafe partial nint Recv(int fd, byte* buffer, nuint length, int flags);
}
