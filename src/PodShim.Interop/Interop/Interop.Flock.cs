using System.Runtime.InteropServices;

namespace PodShim.Interop;

internal static partial class Interop
{
    internal const int LOCK_SH = 1, LOCK_EX = 2, LOCK_UN = 8;

    [LibraryImport(Libraries.Libc, EntryPoint = "flock", SetLastError = true)]
    internal static partial int Flock(SafeFdHandle fd, int operation);
}
