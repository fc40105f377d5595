using System.Runtime.InteropServices;

namespace PodShim.Interop;

internal static partial class Interop
{
    // struct timespec is Interop.Timespec (Interop.TimerFdSetTime.cs).
    [LibraryImport(Libraries.Libc, EntryPoint = "futimens", SetLastError = true)]
    internal static unsafe partial int Futimens(SafeHandle fd, Timespec* times);
}
