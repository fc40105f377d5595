using System.Runtime.InteropServices;

namespace PodShim.Interop;

internal static partial class Interop
{
    internal const uint S_IFIFO = 0x1000, S_IFCHR = 0x2000;

    [LibraryImport(Libraries.Libc, EntryPoint = "mknodat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Mknodat(SafeFdHandle dirFd, string path, uint mode, ulong dev);
}
