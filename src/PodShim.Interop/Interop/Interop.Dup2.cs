using System.Runtime.InteropServices;

namespace PodShim.Interop;

internal static partial class Interop
{
    [LibraryImport(Libraries.Libc, EntryPoint = "dup2", SetLastError = true)]
    internal static partial int Dup2(int oldFd, int newFd);
}
