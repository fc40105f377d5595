namespace PodShim.Interop;

/// <summary>The steps a native child reports failure at (enum ps_step in native/include/podshim.h).</summary>
public enum SpawnStep
{
    Ready = 0, Clone = 1, KeeperExec = 2, Setsid = 3, Stdio = 4, Setns = 5, MountPrivate = 6, Rootfs = 7,
    RootfsSymlink = 8, Mounts = 9, Proc = 10, Dev = 11, Sys = 12, PivotRoot = 13, Mask = 14, ReadonlyPaths = 15,
    Hostname = 16, Rlimits = 17, Groups = 18, Gid = 19, Uid = 20, Caps = 21, NoNewPrivs = 22, CloseFds = 23,
    Cwd = 24, CwdOutsideRoot = 25, WaitGo = 26, Exec = 27, Cgroup = 28, ReadonlyRoot = 29, DevNull = 30,
    /// <summary>Not a failure: the keeper reports the container's pid (in the errno field).</summary>
    Pid = 31,
    Spec = 32,
}

/// <summary>A container child or exec helper that failed before execve, at a known step.</summary>
public sealed class SpawnException : Exception
{
    public SpawnException(SpawnStep step, int errno, string message) : base(message)
    {
        Step = step;
        ErrorNumber = errno;
    }

    public SpawnStep Step { get; }
    public int ErrorNumber { get; }

    /// <summary>The exit code the runtime conventions give this failure: 127 not found, 126 cannot execute.</summary>
    public int ConventionalExitCode => Step == SpawnStep.Exec && ErrorNumber != Errno.ENOENT ? 126 : 127;
}
