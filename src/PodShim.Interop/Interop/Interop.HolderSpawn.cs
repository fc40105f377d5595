using System.Runtime.InteropServices;

namespace PodShim.Interop;

internal static partial class Interop
{
    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct HolderSpec
    {
        public byte* PausePath;
        public byte* Hostname;
        public int NsFlags;
        public int CgroupFd;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct HolderResult
    {
        public int Pid;
        public int Pidfd;
        public int ReadyFd;
        public int Reserved;
    }

    /// <summary>ps_holder_spawn: 0 or -errno.</summary>
    [LibraryImport(Libraries.PodShim, EntryPoint = "ps_holder_spawn")]
    internal static unsafe partial int HolderSpawn(HolderSpec* spec, HolderResult* result);
}
