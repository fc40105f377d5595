using System.Runtime.InteropServices;

namespace PodShim.Interop;

internal static partial class Interop
{
    /// <summary>openat2(2) has no glibc wrapper: called through syscall(2), every argument a full register.</summary>
    internal const long SYS_openat2 = 437;

    /// <summary>RESOLVE_* flags of struct open_how.</summary>
    internal static class Resolve
    {
        internal const ulong NoXdev = 0x01, NoMagicLinks = 0x02, NoSymlinks = 0x04, Beneath = 0x08, InRoot = 0x10;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct OpenHow
    {
        public ulong Flags;
        public ulong Mode;
        public ulong Resolve;
    }

    [LibraryImport(Libraries.Libc, EntryPoint = "syscall", SetLastError = true)]
    internal static unsafe partial long Openat2(long number, long dirFd, byte* path, OpenHow* how, nuint size);
}
