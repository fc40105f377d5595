using System.Runtime.InteropServices;

namespace PodShim.Interop;

internal static partial class Interop
{
    internal const int ClockMonotonic = 1;
    internal const int TfdCloexec = 0x80000;

    [LibraryImport(Libraries.Libc, EntryPoint = "timerfd_create", SetLastError = true)]
    internal static partial int TimerFdCreate(int clockId, int flags);
}
