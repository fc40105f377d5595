using System.Runtime.InteropServices;

namespace PodShim.Interop;

internal static partial class Interop
{
    [LibraryImport(Libraries.Libc, EntryPoint = "setsid", SetLastError = true)]
    internal static partial int Setsid();
}
