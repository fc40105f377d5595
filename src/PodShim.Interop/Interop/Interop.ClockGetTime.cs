using System.Runtime.InteropServices;

namespace PodShim.Interop;

internal static partial class Interop
{
    [LibraryImport(Libraries.Libc, EntryPoint = "clock_gettime", SetLastError = true)]
    internal static partial int ClockGetTime(int clockId, out Timespec time);
}
