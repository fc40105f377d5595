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

    [StructLayout(LayoutKind.Sequential)]
    internal struct ITimerSpec
    {
        public Timespec Interval;
        public Timespec Value;
    }

    [LibraryImport(Libraries.Libc, EntryPoint = "timerfd_settime", SetLastError = true)]
    internal static partial int TimerFdSetTime(SafeFdHandle fd, int flags, in ITimerSpec newValue, nint oldValue);
}
