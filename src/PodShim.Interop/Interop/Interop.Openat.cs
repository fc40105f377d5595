using System.Runtime.InteropServices;

namespace PodShim.Interop;

internal static partial class Interop
{
    /// <summary>open(2) flags used with the *at calls (named apart from the O_* constants of Interop.Open.cs).</summary>
    internal static class OpenFlags
    {
        internal const int ReadOnly = 0, WriteOnly = 1, Create = 0x40, Exclusive = 0x80, Directory = 0x10000,
            NoFollow = 0x20000, CloseOnExec = 0x80000, PathOnly = 0x200000;
    }

    internal const int AT_SYMLINK_NOFOLLOW = 0x100, AT_REMOVEDIR = 0x200, AT_EMPTY_PATH = 0x1000;

    [LibraryImport(Libraries.Libc, EntryPoint = "openat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Openat(SafeFdHandle dirFd, string path, int flags, int mode);
}
