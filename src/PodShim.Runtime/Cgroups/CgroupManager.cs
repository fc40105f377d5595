using PodShim.Interop;
using PodShim.Interop.Syscalls;
using PodShim.Manifest;

namespace PodShim.Runtime.Cgroups;

/// <summary>
/// Creates and removes the cgroups of pods under <c>&lt;root&gt;/podshim/</c> of a cgroup v2 hierarchy:
/// <c>pod-&lt;uid&gt;/</c> with the pod's effective limits, and inside it <c>holder/</c> and one
/// <c>&lt;container&gt;-&lt;attempt&gt;/</c> per container attempt with the container's own limits.
/// The root directory is a parameter: unit tests point it at a temporary directory.
/// </summary>
public sealed class CgroupManager
{
    private readonly ICgroupFileSystem _fs;
    private readonly ISyscalls _sys;
    private volatile bool _cloneIntoCgroup = true;

    public CgroupManager(string root, ICgroupFileSystem fs, ISyscalls sys, long podPidsLimit = CgroupSettings.DefaultPodPidsLimit)
    {
        if (podPidsLimit <= CgroupSettings.HolderPidsMax)
            throw new ArgumentOutOfRangeException(nameof(podPidsLimit), podPidsLimit, $"the pod pids limit must be above {CgroupSettings.HolderPidsMax}");
        Root = root;
        _fs = fs;
        _sys = sys;
        PodPidsLimit = podPidsLimit;
    }

    /// <summary>The cgroup2 mount point (or a directory laid out like one).</summary>
    public string Root { get; }
    public string PodshimDirectory => Path.Combine(Root, "podshim");
    public long PodPidsLimit { get; }
    internal ICgroupFileSystem FileSystem => _fs;
    internal ISyscalls Syscalls => _sys;

    /// <summary>
    /// Whether processes are placed with clone3(CLONE_INTO_CGROUP) (Linux 5.7+). Once a spawn reports
    /// the flag unsupported this turns false and processes are moved by writing cgroup.procs instead.
    /// </summary>
    public bool CloneIntoCgroup => _cloneIntoCgroup;

    /// <summary>Records that this kernel refused CLONE_INTO_CGROUP: EINVAL (unknown flag), E2BIG (older clone_args) or ENOSYS (no clone3).</summary>
    public bool DisableCloneIntoCgroupOn(int errno)
    {
        if (errno is not (Errno.EINVAL or Errno.E2BIG or Errno.ENOSYS))
            return false;
        _cloneIntoCgroup = false;
        return true;
    }

    /// <summary>The directory name of a pod's cgroup.</summary>
    public static string PodDirectoryName(string uid)
    {
        ArgumentNullException.ThrowIfNull(uid);
        var name = new char[uid.Length];
        for (int i = 0; i < uid.Length; i++)
            name[i] = char.IsAsciiLetterOrDigit(uid[i]) || uid[i] is '-' or '_' or '.' ? uid[i] : '_';
        return "pod-" + new string(name);
    }

    /// <summary>
    /// Creates the pod's cgroup with its effective limits (enabling the cpu, memory and pids controllers
    /// for the children on the way). A stale cgroup of the same uid is removed first, killing what runs
    /// in it: a supervisor that re-adopts running containers uses <see cref="AttachPod"/> instead.
    /// Throws <see cref="NativeException"/> or <see cref="IOException"/>.
    /// </summary>
    public PodCgroup CreatePod(Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        EffectiveResources resources = PodResources.Compute(pod.Spec);
        EnableControllers(Root);
        _fs.CreateDirectory(PodshimDirectory);
        EnableControllers(PodshimDirectory);
        string dir = Path.Combine(PodshimDirectory, PodDirectoryName(pod.Metadata.Uid));
        var cgroup = new PodCgroup(this, dir, resources, CgroupSettings.ContainerPidsMax(pod.Spec, PodPidsLimit));
        if (_fs.DirectoryExists(dir))
            cgroup.Remove();
        _fs.CreateDirectory(dir);
        try
        {
            Write(dir, CgroupSettings.ForPod(resources, PodPidsLimit));
            EnableControllers(dir);
        }
        catch
        {
            cgroup.Remove();
            throw;
        }
        return cgroup;
    }

    /// <summary>
    /// The cgroup of a pod that already has one (a supervisor re-adopting a running pod): nothing is
    /// written or removed. Null when the pod has no cgroup here.
    /// </summary>
    public PodCgroup? AttachPod(Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        string dir = Path.Combine(PodshimDirectory, PodDirectoryName(pod.Metadata.Uid));
        return _fs.DirectoryExists(dir)
            ? new PodCgroup(this, dir, PodResources.Compute(pod.Spec), CgroupSettings.ContainerPidsMax(pod.Spec, PodPidsLimit))
            : null;
    }

    internal void Write(string dir, IEnumerable<CgroupValue> values)
    {
        foreach (CgroupValue v in values)
            _fs.WriteText(Path.Combine(dir, v.File), v.Value);
    }

    /// <summary>Makes cpu, memory and pids available to the children of <paramref name="dir"/>.</summary>
    private void EnableControllers(string dir)
    {
        string file = Path.Combine(dir, "cgroup.subtree_control");
        string[] enabled = (_fs.ReadText(file) ?? "").Split((char[])[' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
        var missing = CgroupHierarchy.RequiredControllers.Where(c => !enabled.Contains(c, StringComparer.Ordinal)).ToList();
        if (missing.Count > 0)
            _fs.WriteText(file, string.Join(' ', missing.Select(c => "+" + c)));
    }

    /// <summary>
    /// Removes a cgroup with no children: whatever still runs in it is killed first (cgroup.kill, or
    /// SIGKILL to each pid of cgroup.procs before Linux 5.14), then rmdir is retried until the kernel
    /// has let go of the dead processes.
    /// </summary>
    internal void RemoveLeaf(string dir)
    {
        bool killed = false;
        long deadline = Environment.TickCount64 + 5_000;
        while (true)
        {
            try
            {
                _fs.RemoveDirectory(dir);
                return;
            }
            catch (NativeException e) when (e.ErrorNumber == Errno.EBUSY && Environment.TickCount64 < deadline)
            {
                if (!killed)
                {
                    Kill(dir);
                    killed = true;
                }
                Thread.Sleep(10);
            }
        }
    }

    private void Kill(string dir)
    {
        string kill = Path.Combine(dir, "cgroup.kill");
        if (_fs.FileExists(kill))
        {
            _fs.WriteText(kill, "1");
            return;
        }
        foreach (string line in (_fs.ReadText(Path.Combine(dir, "cgroup.procs")) ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries))
            if (int.TryParse(line, System.Globalization.CultureInfo.InvariantCulture, out int pid))
                _sys.Kill(pid, Posix.SIGKILL);
    }
}

/// <summary>The cgroup of one pod: <c>podshim/pod-&lt;uid&gt;/</c>.</summary>
public sealed class PodCgroup
{
    private readonly CgroupManager _manager;
    private readonly EffectiveResources _resources;

    internal PodCgroup(CgroupManager manager, string path, EffectiveResources resources, long containerPidsMax)
    {
        _manager = manager;
        Path = path;
        _resources = resources;
        ContainerPidsMax = containerPidsMax;
    }

    public string Path { get; }
    public CgroupManager Manager => _manager;
    /// <summary>Each container's share of the pod's pids.</summary>
    public long ContainerPidsMax { get; }

    /// <summary>The holder's cgroup, <c>holder/</c>.</summary>
    public ContainerCgroup CreateHolder() => Create("holder", CgroupSettings.ForHolder());

    /// <summary>A container attempt's cgroup, <c>&lt;name&gt;-&lt;attempt&gt;/</c>, with the container's own limits.</summary>
    public ContainerCgroup CreateAttempt(string container, int attempt)
    {
        ContainerResources resources = _resources.Containers.FirstOrDefault(c => c.Name == container)
            ?? throw new ArgumentException($"no container \"{container}\" in the pod", nameof(container));
        IReadOnlyList<CgroupValue> values = CgroupSettings.ForContainer(resources, ContainerPidsMax);
        // Without swap for containers, as the kubelet's default NoSwap behaviour on cgroup v2 (only
        // where the kernel has swap accounting).
        return Create($"{container}-{attempt.ToString(System.Globalization.CultureInfo.InvariantCulture)}", values, swapOff: true);
    }

    private ContainerCgroup Create(string name, IReadOnlyList<CgroupValue> values, bool swapOff = false)
    {
        string dir = System.IO.Path.Combine(Path, name);
        ICgroupFileSystem fs = _manager.FileSystem;
        if (fs.DirectoryExists(dir))
            _manager.RemoveLeaf(dir);
        fs.CreateDirectory(dir);
        try
        {
            _manager.Write(dir, values);
            if (swapOff && fs.FileExists(System.IO.Path.Combine(dir, "memory.swap.max")))
                fs.WriteText(System.IO.Path.Combine(dir, "memory.swap.max"), "0");
        }
        catch
        {
            _manager.RemoveLeaf(dir);
            throw;
        }
        return new ContainerCgroup(_manager, dir);
    }

    /// <summary>Removes the pod's cgroup and every cgroup in it, killing what still runs there.</summary>
    public void Remove()
    {
        ICgroupFileSystem fs = _manager.FileSystem;
        if (!fs.DirectoryExists(Path))
            return;
        foreach (string child in fs.ChildDirectories(Path).ToList())
            _manager.RemoveLeaf(child);
        _manager.RemoveLeaf(Path);
    }
}

/// <summary>The cgroup of a holder or of one container attempt.</summary>
public sealed class ContainerCgroup : IDisposable
{
    private readonly CgroupManager _manager;
    private readonly Lock _lock = new();
    private SafeFdHandle? _directory;
    private bool _disposed;

    internal ContainerCgroup(CgroupManager manager, string path)
    {
        _manager = manager;
        Path = path;
    }

    public string Path { get; }

    /// <summary>
    /// The directory fd for CLONE_INTO_CGROUP, or null when this kernel does not support it (then
    /// <see cref="AddProcess"/> moves the process before it is let go).
    /// </summary>
    public SafeFdHandle? CloneTarget
    {
        get
        {
            if (!_manager.CloneIntoCgroup)
                return null;
            lock (_lock)
                return _disposed ? null : _directory ??= _manager.FileSystem.OpenDirectory(Path);
        }
    }

    /// <summary>
    /// After a spawn with <see cref="CloneTarget"/> failed with <paramref name="errno"/>: true when that
    /// means the kernel lacks CLONE_INTO_CGROUP, so the spawn is to be retried with <see cref="AddProcess"/>.
    /// </summary>
    public bool FallBackFromCloneInto(int errno) => _manager.DisableCloneIntoCgroupOn(errno);

    /// <summary>The fallback to CLONE_INTO_CGROUP: moves a process in by writing cgroup.procs.</summary>
    public void AddProcess(int pid) =>
        _manager.FileSystem.WriteText(System.IO.Path.Combine(Path, "cgroup.procs"), pid.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>The OOM kills counted in memory.events (oom_kill; the keeper reads the same at exit).</summary>
    public long OomKills()
    {
        string? events = _manager.FileSystem.ReadText(System.IO.Path.Combine(Path, "memory.events"));
        foreach (string line in (events ?? "").Split('\n'))
            if (line.StartsWith("oom_kill ", StringComparison.Ordinal)
                && long.TryParse(line.AsSpan(9), System.Globalization.CultureInfo.InvariantCulture, out long n))
                return n;
        return 0;
    }

    /// <summary>Removes the cgroup (killing what is left in it). The directory fd stays valid until Dispose.</summary>
    public void Remove() => _manager.RemoveLeaf(Path);

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _directory?.Dispose();
            _directory = null;
        }
    }
}
