using System.Runtime.InteropServices;

namespace PodShim.Interop;

internal static partial class Interop
{
    /// <summary>Mirror of struct ps_exec_spec.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct ExecSpec
    {
        public int TargetPidfd;
        public int NsFlags;
        public int CgroupFd;
        public int NoNewPrivs;
        public byte** Argv;
        public byte** Envp;
        public byte* Cwd;
        public uint Uid;
        public uint Gid;
        public uint* Groups;
        public int GroupCount;
        public int StdinNull;
        public ulong CapBounding;
        public byte* KeeperPath;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct ExecResult
    {
        public int Pid;
        public int Pidfd;
        public int StdinFd;
        public int StdoutFd;
        public int StderrFd;
        public int StatusFd;
        public int FailStep;
        public int FailErrno;
    }

    /// <summary>ps_exec: 0 or -errno.</summary>
    [LibraryImport(Libraries.PodShim, EntryPoint = "ps_exec")]
    internal static unsafe partial int Exec(ExecSpec* spec, ExecResult* result);
}
