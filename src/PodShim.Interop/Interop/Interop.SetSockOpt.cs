using System.Runtime.InteropServices;

namespace PodShim.Interop;

internal static partial class Interop
{
    internal const int SOL_SOCKET = 1, SO_ERROR = 4, SO_LINGER = 13;

    /// <summary>struct linger: {1, 0} makes close(2) reset the connection instead of lingering in TIME_WAIT.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct Linger
    {
        public int OnOff;
        public int Seconds;
    }

    [LibraryImport(Libraries.Libc, EntryPoint = "setsockopt", SetLastError = true)]
    internal static unsafe partial int SetSockOpt(int fd, int level, int name, void* value, uint length);
}
