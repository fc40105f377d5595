using System.Runtime.InteropServices;

namespace PodShim.Interop;

internal static partial class Interop
{
    /// <summary>pid 0: the calling thread only (a Linux thread is a task of its own).</summary>
    [LibraryImport(Libraries.Libc, EntryPoint = "sched_setaffinity", SetLastError = true)]
    internal static unsafe partial int SchedSetAffinity(int pid, nuint maskSize, byte* mask);
}
