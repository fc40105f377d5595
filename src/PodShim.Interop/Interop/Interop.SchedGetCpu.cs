using System.Runtime.InteropServices;

namespace PodShim.Interop;

internal static partial class Interop
{
    [LibraryImport(Libraries.Libc, EntryPoint = "sched_getcpu", SetLastError = true)]
    internal static partial int SchedGetCpu();
}
