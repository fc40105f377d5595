using System.Globalization;
using PodShim.Interop;
using PodShim.Manifest;
using PodShim.Runtime.Cgroups;
using PodShim.Runtime.Images;
using PodShim.Runtime.Pods;
using PodShim.Runtime.State;

namespace PodShim.Runtime.Containers;

/// <summary>One attempt of one container: a fresh writable layer, a keeper, a process.</summary>
public sealed class ContainerInstance : IDisposable
{
    // Null for an attempt adopted from a killed supervisor: its keeper is not our child.
    private readonly SpawnedContainer? _spawned;
    private readonly ContainerCgroup? _cgroup;

    /// <summary>The attempt's own cgroup (null where limits are not enforced, or for an adopted attempt).</summary>
    public ContainerCgroup? Cgroup => _cgroup;

    private ContainerInstance(string name, AttemptPaths paths, SpawnedContainer? spawned, int keeperPid, SafeFdHandle keeperPidfd,
        int containerPid, SafeFdHandle? pidfd, ContainerLaunch launch, ImageConfig image, ContainerCgroup? cgroup)
    {
        _cgroup = cgroup;
        Launch = launch;
        Image = image;
        Name = name;
        Paths = paths;
        _spawned = spawned;
        KeeperPid = keeperPid;
        KeeperPidfd = keeperPidfd;
        ContainerPid = containerPid;
        ContainerPidfd = pidfd;
    }

    public string Name { get; }
    /// <summary>The process this attempt runs (its user, capabilities, env: exec hooks and probes run the same way).</summary>
    public ContainerLaunch Launch { get; }
    public ImageConfig Image { get; }
    public AttemptPaths Paths { get; }
    public int ContainerPid { get; }
    public int KeeperPid { get; }
    /// <summary>True for an attempt taken over from a killed supervisor.</summary>
    public bool Adopted => _spawned is null;
    /// <summary>A pidfd on the container process, so signals never hit a recycled pid.</summary>
    public SafeFdHandle? ContainerPidfd { get; }

    /// <summary>
    /// Creates and starts the container, in <paramref name="cgroup"/> when given (the instance closes its
    /// fd; removing the cgroup is the caller's). Throws <see cref="SpawnException"/> or <see cref="ContainerConfigException"/>.
    /// </summary>
    public static ContainerInstance Start(PodSandbox sandbox, Container container, ResolvedImage image, int attempt, string binDirectory,
        ContainerCgroup? cgroup = null)
    {
        SpawnedHolder holder = sandbox.Holder ?? throw new InvalidOperationException("the pod's holder is not running");
        StartupTrace.Mark($"start {container.Name}: planning");
        ContainerLaunch launch = ContainerPlanner.Plan(sandbox.Pod, container, image.Config, sandbox.Hostname, path => ReadImageFile(image, path));
        AttemptPaths paths = sandbox.Paths.Attempt(container.Name, attempt);
        if (Directory.Exists(paths.Directory))
            Directory.Delete(paths.Directory, recursive: true);
        Directory.CreateDirectory(paths.Upper);
        Directory.CreateDirectory(paths.Work);
        Directory.CreateDirectory(paths.Rootfs);

        // overlayfs lists the top layer first.
        string lower = string.Join(':', image.LayerDirs.Reverse());
        var request = new ContainerSpawnRequest
        {
            HolderPidfd = holder.Pidfd,
            HolderPid = holder.Pid,
            JoinNamespaces = sandbox.SharedNamespaces,
            SharePidNamespace = sandbox.Pod.Spec.ShareProcessNamespace,
            Rootfs = paths.Rootfs,
            OverlayData = $"lowerdir={lower},upperdir={paths.Upper},workdir={paths.Work}",
            Mounts = sandbox.MountsFor(container),
            ReadonlyRootfs = launch.ReadonlyRootfs,
            ShmSource = sandbox.Paths.Shm,
            MaskedPaths = launch.Privileged ? [] : ContainerSecurity.MaskedPaths,
            ReadonlyPaths = launch.Privileged ? [] : ContainerSecurity.ReadonlyPaths,
            Argv = launch.Argv,
            Env = launch.Env,
            WorkingDirectory = launch.WorkingDirectory,
            Identity = launch.Identity,
            KeeperPath = Path.Combine(binDirectory, "podshim-keeper"),
            LogPath = paths.Log,
            ExitPath = paths.Exit,
        };

        StartupTrace.Mark($"start {container.Name}: spawning");
        SpawnedContainer spawned = SpawnReady(request, paths, cgroup);
        StartupTrace.Mark($"start {container.Name}: held");
        SafeFdHandle? pidfd = null;
        try
        {
            pidfd = Posix.PidfdOpen(spawned.ContainerPid);
            AtomicFile.WriteAllText(paths.ContainerPid, spawned.ContainerPid.ToString(CultureInfo.InvariantCulture) + "\n");
            spawned.Start();
            return new ContainerInstance(container.Name, paths, spawned, spawned.KeeperPid, spawned.KeeperPidfd, spawned.ContainerPid, pidfd, launch,
                image.Config, cgroup);
        }
        catch
        {
            // The keeper kills a container that was never started and still records its exit.
            spawned.Abort();
            spawned.WaitForKeeper(10_000);
            pidfd?.Dispose();
            spawned.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Spawns the container and waits until it is held before execve, inside its cgroup: created there
    /// by clone3(CLONE_INTO_CGROUP), or, on a kernel without it, moved there through cgroup.procs before
    /// it may run anything of its own.
    /// </summary>
    private static SpawnedContainer SpawnReady(ContainerSpawnRequest request, AttemptPaths paths, ContainerCgroup? cgroup)
    {
        SafeFdHandle? target = cgroup?.CloneTarget;
        while (true)
        {
            SpawnedContainer spawned = ContainerSpawner.Spawn(request with { CgroupDirectory = target, CgroupPath = cgroup?.Path });
            try
            {
                AtomicFile.WriteAllText(paths.KeeperPid, spawned.KeeperPid.ToString(CultureInfo.InvariantCulture) + "\n");
                spawned.WaitReady();
                if (cgroup is not null && target is null)
                    cgroup.AddProcess(spawned.ContainerPid);
                return spawned;
            }
            catch (Exception e)
            {
                // The keeper kills a container that was never started and still records its exit.
                spawned.Abort();
                spawned.WaitForKeeper(10_000);
                spawned.Dispose();
                if (e is SpawnException { Step: SpawnStep.Cgroup } failed && target is not null && cgroup!.FallBackFromCloneInto(failed.ErrorNumber))
                {
                    target = null;
                    continue;
                }
                throw;
            }
        }
    }

    /// <summary>
    /// Takes over an attempt a killed supervisor started (recovery): pidfds on its keeper and, when it still runs,
    /// its process (the caller has checked both pids: the keeper's command line names this attempt's log, the
    /// process is the keeper's child). The launch is planned again from the same pod and image, as exec probes
    /// and hooks need it.
    /// </summary>
    public static ContainerInstance Adopt(PodSandbox sandbox, Container container, ResolvedImage image, int attempt,
        int keeperPid, int? containerPid, ContainerCgroup? cgroup = null)
    {
        ContainerLaunch launch = ContainerPlanner.Plan(sandbox.Pod, container, image.Config, sandbox.Hostname, path => ReadImageFile(image, path));
        SafeFdHandle keeperPidfd = Posix.PidfdOpen(keeperPid);
        SafeFdHandle? pidfd = null;
        try
        {
            if (containerPid is int pid)
                pidfd = Posix.PidfdOpen(pid);
        }
        catch (NativeException e) when (e.ErrorNumber == Errno.ESRCH)
        {
            // Gone in between: the keeper records its exit.
        }
        return new ContainerInstance(container.Name, sandbox.Paths.Attempt(container.Name, attempt), null, keeperPid, keeperPidfd,
            containerPid ?? -1, pidfd, launch, image.Config, cgroup);
    }

    /// <summary>A command run inside this attempt as its own process runs: same user, groups, capabilities, env, cwd
    /// (exec hooks, exec probes, `podshim exec`).</summary>
    public ExecRequest ExecRequest(IReadOnlyList<string> argv, string keeperPath) => new()
    {
        TargetPidfd = ContainerPidfd ?? throw new InvalidOperationException($"container \"{Name}\" has no process"),
        Argv = argv,
        Env = Launch.Env,
        WorkingDirectory = Launch.WorkingDirectory,
        Identity = Launch.Identity,
        KeeperPath = keeperPath,
        // Probes, hooks and exec count against the container's own limits, as in the kubelet.
        CgroupDirectory = _cgroup?.CloneTarget,
    };

    /// <summary>Sends a signal to the container's main process; false when it is gone.</summary>
    public bool Signal(int signal) => ContainerPidfd is { } fd && Posix.SendSignal(fd, signal);

    /// <summary>Waits for the container's end (its keeper exits after writing exit.json). Null on timeout.</summary>
    public ExitRecord? WaitExit(int timeoutMs)
    {
        // Our own keeper is reaped here; an adopted one is not our child (the wait sees its exit through the pidfd).
        if (Posix.WaitExit(KeeperPidfd, timeoutMs) is null)
            return null;
        return ExitRecord.TryRead(Paths.Exit) ?? throw new InvalidOperationException($"keeper of container \"{Name}\" exited without writing {Paths.Exit}");
    }

    /// <summary>The keeper's pidfd: readable when the container's record is final.</summary>
    public SafeFdHandle KeeperPidfd { get; }

    private static string? ReadImageFile(ResolvedImage image, string path)
    {
        for (int i = image.LayerDirs.Count - 1; i >= 0; i--)
        {
            string candidate = Path.Combine(image.LayerDirs[i], path.TrimStart('/'));
            if (File.Exists(candidate))
                return File.ReadAllText(candidate);
        }
        return null;
    }

    public void Dispose()
    {
        ContainerPidfd?.Dispose();
        if (_spawned is not null)
            _spawned.Dispose(); // owns the keeper's pidfd
        else
            KeeperPidfd.Dispose();
        _cgroup?.Dispose();
    }
}
