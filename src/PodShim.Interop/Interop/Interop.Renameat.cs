using System.Runtime.InteropServices;

namespace PodShim.Interop;

internal static partial class Interop
{
    [LibraryImport(Libraries.Libc, EntryPoint = "renameat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Renameat(SafeFdHandle oldDirFd, string oldPath, SafeFdHandle newDirFd, string newPath);
}
