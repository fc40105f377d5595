using System.Runtime.InteropServices;

namespace PodShim.Interop;

internal static partial class Interop
{
    internal const int O_RDONLY = 0, O_DIRECTORY = 0x10000, O_CLOEXEC = 0x80000, O_PATH = 0x200000;
    internal const int O_WRONLY = 1, O_RDWR = 2, O_CREAT = 0x40, O_APPEND = 0x400;

    [LibraryImport(Libraries.Libc, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Open(string path, int flags, int mode);
}
