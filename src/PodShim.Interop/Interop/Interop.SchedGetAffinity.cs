using System.Runtime.InteropServices;

namespace PodShim.Interop;

internal static partial class Interop
{
    /// <summary>pid 0: the calling thread. Returns the number of bytes of the kernel's mask written.</summary>
    [LibraryImport(Libraries.Libc, EntryPoint = "sched_getaffinity", SetLastError = true)]
    internal static unsafe partial int SchedGetAffinity(int pid, nuint maskSize, byte* mask);
}
