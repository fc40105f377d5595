using System.Runtime.InteropServices;

namespace PodShim.Interop;

internal static partial class Interop
{
    internal const int F_GETFL = 3, F_SETFL = 4, O_NONBLOCK = 0x800;   // Linux values (x86-64, arm64)

    // fcntl is variadic; with int arguments the Linux x86-64 and arm64 calling conventions are the same.
    [LibraryImport(Libraries.Libc, EntryPoint = "fcntl", SetLastError = true)]
    internal static partial int Fcntl(int fd, int command, int argument);
}
