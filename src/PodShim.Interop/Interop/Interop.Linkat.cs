using System.Runtime.InteropServices;

namespace PodShim.Interop;

internal static partial class Interop
{
    [LibraryImport(Libraries.Libc, EntryPoint = "linkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Linkat(SafeFdHandle oldDirFd, string oldPath, SafeFdHandle newDirFd, string newPath, int flags);
}
