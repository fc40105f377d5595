using System.Runtime.InteropServices;

namespace PodShim.Interop;

internal static partial class Interop
{
    internal const int P_PID = 1, P_PIDFD = 3;
    internal const int WEXITED = 4, WNOHANG = 1;
    internal const int CLD_EXITED = 1, CLD_KILLED = 2, CLD_DUMPED = 3;

    /// <summary>The part of siginfo_t that waitid fills for SIGCHLD (128 bytes in all).</summary>
    [StructLayout(LayoutKind.Explicit, Size = 128)]
    internal struct SigInfo
    {
        [FieldOffset(0)] public int Signo;
        [FieldOffset(8)] public int Code;
        [FieldOffset(16)] public int Pid;
        [FieldOffset(24)] public int Status;
    }

    [LibraryImport(Libraries.Libc, EntryPoint = "waitid", SetLastError = true)]
    internal static unsafe partial int Waitid(int idType, int id, SigInfo* info, int options);
}
