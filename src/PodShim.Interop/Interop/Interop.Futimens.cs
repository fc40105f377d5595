using System.Runtime.InteropServices;

namespace PodShim.Interop;

internal static partial class Interop
{
    [StructLayout(LayoutKind.Sequential)]
    internal struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport(Libraries.Libc, EntryPoint = "futimens", SetLastError = true)]
    internal static unsafe partial int Futimens(SafeHandle fd, Timespec* times);
}
