using System.Runtime.InteropServices;

namespace PodShim.Interop;

/// <summary>A mount made inside the container (target is a path inside the rootfs).</summary>
public sealed record MountRequest(string Source, string Target, string? FsType, ulong Flags, string? Data, bool TargetIsFile = false);

public readonly record struct ResourceLimit(int Resource, ulong Soft, ulong Hard);

/// <summary>Everything ps_spawn needs for one container attempt, in managed form.</summary>
public sealed record ContainerSpawnRequest
{
    public SafeFdHandle? HolderPidfd { get; init; }
    public int HolderPid { get; init; }
    /// <summary>CLONE_NEW* flags of the holder's namespaces to join (net, ipc, uts).</summary>
    public int JoinNamespaces { get; init; }
    public bool SharePidNamespace { get; init; }
    public SafeFdHandle? CgroupDirectory { get; init; }
    public string? CgroupPath { get; init; }

    public required string Rootfs { get; init; }
    /// <summary>overlayfs options (lowerdir, upperdir, workdir); null to bind the rootfs directory as it is.</summary>
    public string? OverlayData { get; init; }
    public IReadOnlyList<MountRequest> Mounts { get; init; } = [];
    public bool ReadonlyRootfs { get; init; }
    public string? ShmSource { get; init; }
    public IReadOnlyList<string> MaskedPaths { get; init; } = [];
    public IReadOnlyList<string> ReadonlyPaths { get; init; } = [];
    public string? Hostname { get; init; }

    public required IReadOnlyList<string> Argv { get; init; }
    public required IReadOnlyList<string> Env { get; init; }
    public string WorkingDirectory { get; init; } = "/";
    public ProcessIdentity Identity { get; init; } = new();
    public IReadOnlyList<ResourceLimit> ResourceLimits { get; init; } = [];

    public required string KeeperPath { get; init; }
    public required string LogPath { get; init; }
    public required string ExitPath { get; init; }
}

/// <summary>Creates container processes through libpodshim's ps_spawn.</summary>
public static unsafe class ContainerSpawner
{
    private static int s_abiChecked;

    /// <summary>
    /// Creates the container (held before execve) and its keeper. Call <see cref="SpawnedContainer.WaitReady"/>
    /// then <see cref="SpawnedContainer.Start"/>.
    /// </summary>
    public static SpawnedContainer Spawn(ContainerSpawnRequest request)
    {
        EnsureAbi();
        using var arena = new NativeArena();
        var mounts = new Interop.MountSpec[request.Mounts.Count];
        for (int i = 0; i < mounts.Length; i++)
        {
            MountRequest m = request.Mounts[i];
            mounts[i] = new Interop.MountSpec
            {
                Source = arena.String(m.Source), Target = arena.String(m.Target), FsType = arena.String(m.FsType),
                Data = arena.String(m.Data), Flags = m.Flags, TargetIsFile = m.TargetIsFile ? 1 : 0,
            };
        }
        var limits = new Interop.RlimitSpec[request.ResourceLimits.Count];
        for (int i = 0; i < limits.Length; i++)
            limits[i] = new Interop.RlimitSpec { Resource = request.ResourceLimits[i].Resource, Soft = request.ResourceLimits[i].Soft, Hard = request.ResourceLimits[i].Hard };
        uint[] groups = request.Identity.SupplementalGroups.ToArray();

        bool holderRef = false, cgroupRef = false;
        try
        {
            request.HolderPidfd?.DangerousAddRef(ref holderRef);
            request.CgroupDirectory?.DangerousAddRef(ref cgroupRef);
            var spec = new Interop.SpawnSpec
            {
                HolderPidfd = request.HolderPidfd?.Fd ?? -1,
                JoinNsFlags = request.JoinNamespaces,
                SharePidNs = request.SharePidNamespace ? 1 : 0,
                CgroupFd = request.CgroupDirectory?.Fd ?? -1,
                Rootfs = arena.String(request.Rootfs),
                OverlayData = arena.String(request.OverlayData),
                Mounts = arena.Array<Interop.MountSpec>(mounts),
                MountCount = mounts.Length,
                ReadonlyRootfs = request.ReadonlyRootfs ? 1 : 0,
                ShmSource = arena.String(request.ShmSource),
                MaskedPaths = arena.StringArray(request.MaskedPaths),
                ReadonlyPaths = arena.StringArray(request.ReadonlyPaths),
                Hostname = arena.String(request.Hostname),
                Argv = arena.StringArray(request.Argv),
                Envp = arena.StringArray(request.Env),
                Cwd = arena.String(request.WorkingDirectory),
                Uid = request.Identity.Uid,
                Gid = request.Identity.Gid,
                Groups = arena.Array<uint>(groups),
                GroupCount = groups.Length,
                NoNewPrivs = request.Identity.NoNewPrivileges ? 1 : 0,
                CapBounding = request.Identity.CapabilityBoundingSet,
                Rlimits = arena.Array<Interop.RlimitSpec>(limits),
                RlimitCount = limits.Length,
                KeeperPath = arena.String(request.KeeperPath),
                LogPath = arena.String(request.LogPath),
                ExitPath = arena.String(request.ExitPath),
                CgroupPath = arena.String(request.CgroupPath),
            };
            Interop.SpawnResult result;
            int r = Interop.Spawn(&spec, &result);
            if (r < 0)
                throw new NativeException("ps_spawn", request.Argv.Count > 0 ? request.Argv[0] : null, -r);
            var status = new SafeFdHandle(result.StatusFd);
            var control = new SafeFdHandle(result.ControlFd);
            SafeFdHandle keeperPidfd;
            try
            {
                keeperPidfd = Posix.PidfdOpen(result.KeeperPid);
            }
            catch
            {
                status.Dispose();
                control.Dispose();
                throw;
            }
            return new SpawnedContainer(request, result.KeeperPid, keeperPidfd, status, control);
        }
        finally
        {
            if (holderRef)
                request.HolderPidfd!.DangerousRelease();
            if (cgroupRef)
                request.CgroupDirectory!.DangerousRelease();
        }
    }

    /// <summary>Loads libpodshim.so and checks it matches this build (done once; later calls return at once).</summary>
    public static void EnsureAbi()
    {
        if (Volatile.Read(ref s_abiChecked) != 0)
            return;
        int r = Interop.AbiCheck(sizeof(Interop.SpawnSpec), sizeof(Interop.MountSpec), sizeof(Interop.HolderSpec), sizeof(Interop.ExecSpec));
        if (r != 0)
            throw new InvalidOperationException("libpodshim.so does not match this build of podshim (struct sizes differ); rebuild with ./build.sh");
        Volatile.Write(ref s_abiChecked, 1);
    }

    /// <summary>The error message for a failure a container child reported at a step.</summary>
    public static string Describe(SpawnStep step, int errno, ContainerSpawnRequest r)
    {
        string argv0 = r.Argv.Count > 0 ? r.Argv[0] : "";
        return step switch
        {
            SpawnStep.Exec when errno == Errno.ENOENT && !argv0.Contains('/') => $"exec: \"{argv0}\": executable file not found in $PATH",
            SpawnStep.Exec when errno == Errno.ENOENT => $"exec: \"{argv0}\": stat {argv0}: no such file or directory",
            SpawnStep.Exec => $"exec: \"{argv0}\": {ErrorText(errno)}",
            SpawnStep.RootfsSymlink => $"rootfs {r.Rootfs}: /proc, /sys and /dev of the image must be directories, not symlinks or files: {Errno.Name(errno)}",
            SpawnStep.CwdOutsideRoot => $"working directory \"{r.WorkingDirectory}\" is outside the container's root filesystem",
            _ => NativeException.Format(StepCall(step), StepTarget(step, r), errno),
        };
    }

    private static string StepCall(SpawnStep step) => step switch
    {
        SpawnStep.Clone => "clone3", SpawnStep.Cgroup => "clone3(CLONE_INTO_CGROUP)", SpawnStep.KeeperExec => "execve",
        SpawnStep.Setsid => "setsid", SpawnStep.Stdio => "dup2", SpawnStep.Setns => "setns",
        SpawnStep.MountPrivate => "mount(MS_REC|MS_SLAVE)", SpawnStep.Rootfs => "mount(overlay)",
        SpawnStep.Mounts => "mount(volumes)", SpawnStep.Proc => "mount(proc)", SpawnStep.Dev => "mount(/dev)",
        SpawnStep.DevNull => "check /dev/null", SpawnStep.Sys => "mount(sysfs)", SpawnStep.PivotRoot => "pivot_root",
        SpawnStep.Mask => "mask paths", SpawnStep.ReadonlyPaths => "read-only paths", SpawnStep.ReadonlyRoot => "remount / read-only",
        SpawnStep.Hostname => "sethostname", SpawnStep.Rlimits => "setrlimit", SpawnStep.Groups => "setgroups",
        SpawnStep.Gid => "setresgid", SpawnStep.Uid => "setresuid", SpawnStep.Caps => "capset",
        SpawnStep.NoNewPrivs => "prctl(PR_SET_NO_NEW_PRIVS)", SpawnStep.CloseFds => "close_range",
        SpawnStep.Cwd => "chdir", SpawnStep.WaitGo => "read(go pipe)", SpawnStep.Spec => "podshim-keeper: read spec",
        _ => step.ToString(),
    };

    private static string? StepTarget(SpawnStep step, ContainerSpawnRequest r) => step switch
    {
        SpawnStep.KeeperExec => r.KeeperPath,
        SpawnStep.Setns => $"/proc/{r.HolderPid}/ns",
        SpawnStep.Rootfs or SpawnStep.PivotRoot or SpawnStep.Mounts => r.Rootfs,
        SpawnStep.Cgroup => r.CgroupPath,
        SpawnStep.Hostname => r.Hostname,
        SpawnStep.Gid => r.Identity.Gid.ToString(),
        SpawnStep.Uid => r.Identity.Uid.ToString(),
        SpawnStep.Cwd => r.WorkingDirectory,
        _ => null,
    };

    internal static string ErrorText(int errno) => errno switch
    {
        Errno.EACCES => "permission denied",
        Errno.ENOENT => "no such file or directory",
        Errno.ENOEXEC => "exec format error",
        Errno.EISDIR => "is a directory",
        Errno.ENOTDIR => "not a directory",
        Errno.EPERM => "operation not permitted",
        _ => Errno.Name(errno),
    };
}

/// <summary>A container created by ps_spawn: held before execve until <see cref="Start"/>.</summary>
public sealed class SpawnedContainer : IDisposable
{
    private readonly ContainerSpawnRequest _request;
    private readonly SafeFdHandle _status;
    private SafeFdHandle? _control;

    internal SpawnedContainer(ContainerSpawnRequest request, int keeperPid, SafeFdHandle keeperPidfd,
        SafeFdHandle status, SafeFdHandle control)
    {
        _request = request;
        KeeperPid = keeperPid;
        KeeperPidfd = keeperPidfd;
        _status = status;
        _control = control;
    }

    public int KeeperPid { get; }
    /// <summary>The container's pid in the host pid namespace, known once <see cref="WaitReady"/> returned (-1 before).</summary>
    public int ContainerPid { get; private set; } = -1;
    public SafeFdHandle KeeperPidfd { get; }

    /// <summary>Waits until the container is set up and held before execve; throws <see cref="SpawnException"/>.</summary>
    public void WaitReady(int timeoutMs = 30_000)
    {
        long deadline = Environment.TickCount64 + timeoutMs;
        bool ready = false;
        // The keeper's pid message and the child's READY come from two processes, in either order.
        while (!ready || ContainerPid < 0)
        {
            var message = StatusPipe.Read(_status, (int)Math.Max(0, deadline - Environment.TickCount64));
            if (message is null)
                throw new SpawnException(SpawnStep.Clone, Errno.EPROTO, "container child exited before it was ready");
            switch (message.Value.Step)
            {
                case SpawnStep.Pid:
                    ContainerPid = message.Value.Errno;
                    break;
                case SpawnStep.Ready:
                    ready = true;
                    break;
                default:
                    throw Failure(message.Value.Step, message.Value.Errno);
            }
        }
    }

    /// <summary>Lets the container execve (through its keeper, which records the start time) and waits for the result.</summary>
    public void Start(int timeoutMs = 30_000)
    {
        SafeFdHandle control = _control ?? throw new InvalidOperationException("container already started or aborted");
        Posix.WriteAll(control, "g"u8, "keeper control pipe");
        control.Dispose();
        _control = null;
        var message = StatusPipe.Read(_status, timeoutMs);
        if (message is not null)
            throw Failure(message.Value.Step, message.Value.Errno);
    }

    /// <summary>Gives up on a container that was not started: its keeper kills it and records that it never ran.</summary>
    public void Abort()
    {
        _control?.Dispose();
        _control = null;
    }

    /// <summary>Waits for the keeper to exit (it does so after writing exit.json). False on timeout.</summary>
    public bool WaitForKeeper(int timeoutMs) => Posix.WaitExit(KeeperPidfd, timeoutMs) is not null;

    private SpawnException Failure(SpawnStep step, int errno) =>
        new(step, errno, ContainerSpawner.Describe(step, errno, _request));

    public void Dispose()
    {
        _control?.Dispose();
        _status.Dispose();
        KeeperPidfd.Dispose();
    }
}
