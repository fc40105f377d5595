using System.Runtime.InteropServices;

namespace PodShim.Interop;

internal static partial class Interop
{
    [LibraryImport(Libraries.Libc, EntryPoint = "fchown", SetLastError = true)]
    internal static partial int Fchown(SafeHandle fd, uint owner, uint group);
}
