using System.Runtime.InteropServices;

namespace PodShim.Interop;

internal static partial class Interop
{
    /// <summary>Mirror of struct ps_mount (native/include/podshim.h).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct MountSpec
    {
        public byte* Source;
        public byte* Target;
        public byte* FsType;
        public byte* Data;
        public ulong Flags;
        public int TargetIsFile;
        public int Reserved;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct RlimitSpec
    {
        public int Resource;
        public int Reserved;
        public ulong Soft;
        public ulong Hard;
    }

    /// <summary>Mirror of struct ps_spawn_spec.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct SpawnSpec
    {
        public int HolderPidfd;
        public int JoinNsFlags;
        public int SharePidNs;
        public int CgroupFd;
        public byte* Rootfs;
        public byte* OverlayData;
        public MountSpec* Mounts;
        public int MountCount;
        public int ReadonlyRootfs;
        public byte* ShmSource;
        public byte** MaskedPaths;
        public byte** ReadonlyPaths;
        public byte* Hostname;
        public byte** Argv;
        public byte** Envp;
        public byte* Cwd;
        public uint Uid;
        public uint Gid;
        public uint* Groups;
        public int GroupCount;
        public int NoNewPrivs;
        public ulong CapBounding;
        public RlimitSpec* Rlimits;
        public int RlimitCount;
        public byte* KeeperPath;
        public byte* LogPath;
        public byte* ExitPath;
        public byte* CgroupPath;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct SpawnResult
    {
        public int KeeperPid;
        public int ContainerPid;
        public int StatusFd;
        public int ControlFd;
    }

    /// <summary>ps_spawn: 0 or -errno.</summary>
    [LibraryImport(Libraries.PodShim, EntryPoint = "ps_spawn")]
    internal static unsafe partial int Spawn(SpawnSpec* spec, SpawnResult* result);
}
