using PodShim.Interop;
using PodShim.Interop.Syscalls;
using PodShim.Manifest;
using PodShim.Runtime.Cgroups;
using PodShim.UnitTests.Fakes;

namespace PodShim.UnitTests.Cgroups;

/// <summary>The manager against a temporary directory laid out like /sys/fs/cgroup.</summary>
public sealed class CgroupManagerTests : IDisposable
{
    private readonly TestDirectory _dir = new();
    private readonly RecordingSyscalls _sys = new();
    private readonly FakeCgroupFileSystem _fs;
    private readonly CgroupManager _manager;
    private readonly Pod _pod = TestPods.Load(CgroupSettingsTests.LimitsPod);

    public CgroupManagerTests()
    {
        _fs = new FakeCgroupFileSystem(_dir.Combine("cgroup"));
        _manager = new CgroupManager(_fs.Root, _fs, _sys, podPidsLimit: 64);
    }

    public void Dispose() => _dir.Dispose();

    private string PodDir => Path.Combine(_fs.Root, "podshim", "pod-vm-limits");

    [Fact]
    public void CreatesThePodCgroupWithEffectiveLimits()
    {
        PodCgroup cgroup = _manager.CreatePod(_pod);
        Assert.Equal(PodDir, cgroup.Path);
        Assert.Equal("cpu memory pids", _fs.Value(_fs.Root, "cgroup.subtree_control"));
        Assert.Equal("cpu memory pids", _fs.Value(Path.Combine(_fs.Root, "podshim"), "cgroup.subtree_control"));
        Assert.Equal("cpu memory pids", _fs.Value(PodDir, "cgroup.subtree_control"));
        Assert.Equal("301989888", _fs.Value(PodDir, "memory.max"));
        Assert.Equal("120000 100000", _fs.Value(PodDir, "cpu.max"));
        Assert.Equal("24", _fs.Value(PodDir, "cpu.weight"));
        Assert.Equal("64", _fs.Value(PodDir, "pids.max"));
        Assert.Equal(20, cgroup.ContainerPidsMax);
        // The controllers were enabled with one write each, before anything was created under them.
        Assert.Equal([(Path.Combine(_fs.Root, "cgroup.subtree_control"), "+cpu +memory +pids")], _fs.Writes.Take(1));
    }

    [Fact]
    public void EnabledControllersAreLeftAsTheyAre()
    {
        File.WriteAllText(Path.Combine(_fs.Root, "cgroup.subtree_control"), "cpuset cpu io memory pids\n");
        _manager.CreatePod(_pod);
        Assert.DoesNotContain(_fs.Writes, w => w.Path == Path.Combine(_fs.Root, "cgroup.subtree_control"));
        Assert.Equal("cpuset cpu io memory pids", _fs.Value(_fs.Root, "cgroup.subtree_control"));
    }

    [Fact]
    public void AttemptCgroupHasTheContainersOwnLimits()
    {
        PodCgroup pod = _manager.CreatePod(_pod);
        using ContainerCgroup app1 = pod.CreateAttempt("app1", 3);
        Assert.Equal(Path.Combine(PodDir, "app1-3"), app1.Path);
        Assert.Equal("134217728", _fs.Value(app1.Path, "memory.max"));
        Assert.Equal("127504384", _fs.Value(app1.Path, "memory.high"));
        Assert.Equal("50000 100000", _fs.Value(app1.Path, "cpu.max"));
        Assert.Equal("10", _fs.Value(app1.Path, "cpu.weight"));
        Assert.Equal("20", _fs.Value(app1.Path, "pids.max"));
        Assert.Equal("1", _fs.Value(app1.Path, "memory.oom.group"));
        Assert.Equal("0", _fs.Value(app1.Path, "memory.swap.max")); // kubelet NoSwap
    }

    [Fact]
    public void NoSwapFileNoSwapWrite()
    {
        var fs = new FakeCgroupFileSystem(_dir.Combine("noswap"), swap: false);
        PodCgroup pod = new CgroupManager(fs.Root, fs, _sys).CreatePod(_pod);
        using ContainerCgroup app1 = pod.CreateAttempt("app1", 0);
        Assert.DoesNotContain(fs.Writes, w => w.Path.EndsWith("memory.swap.max", StringComparison.Ordinal));
    }

    [Fact]
    public void HolderCgroup()
    {
        PodCgroup pod = _manager.CreatePod(_pod);
        using ContainerCgroup holder = pod.CreateHolder();
        Assert.Equal(Path.Combine(PodDir, "holder"), holder.Path);
        Assert.Equal("4", _fs.Value(holder.Path, "pids.max"));
    }

    [Fact]
    public void UnknownContainerIsRefused()
    {
        PodCgroup pod = _manager.CreatePod(_pod);
        Assert.Throws<ArgumentException>(() => pod.CreateAttempt("nope", 0));
    }

    [Fact]
    public void RemovingThePodKillsWhatIsLeftAndRemovesEveryCgroup()
    {
        PodCgroup pod = _manager.CreatePod(_pod);
        using ContainerCgroup holder = pod.CreateHolder();
        using ContainerCgroup app = pod.CreateAttempt("app1", 0);
        _fs.AddProcess(app.Path, 4242);
        pod.Remove();
        Assert.False(Directory.Exists(PodDir));
        Assert.Contains((Path.Combine(app.Path, "cgroup.kill"), "1"), _fs.Writes);
        Assert.DoesNotContain((Path.Combine(holder.Path, "cgroup.kill"), "1"), _fs.Writes); // nothing ran there
        Assert.True(Directory.Exists(Path.Combine(_fs.Root, "podshim"))); // shared by all pods: left in place
        pod.Remove(); // again: nothing to do
    }

    [Fact]
    public void WithoutCgroupKillEachProcessGetsSigkill()
    {
        var fs = new FakeCgroupFileSystem(_dir.Combine("old"), killFile: false);
        var sys = new KillingSyscalls();
        PodCgroup pod = new CgroupManager(fs.Root, fs, sys).CreatePod(_pod);
        using ContainerCgroup app = pod.CreateAttempt("app1", 0);
        fs.AddProcess(app.Path, 10);
        fs.AddProcess(app.Path, 11);
        sys.Cgroup = app.Path;
        app.Remove();
        Assert.Equal([(10, Posix.SIGKILL), (11, Posix.SIGKILL)], sys.Killed);
        Assert.False(Directory.Exists(app.Path));
    }

    [Fact]
    public void StaleCgroupOfTheSameUidIsReplaced()
    {
        PodCgroup first = _manager.CreatePod(_pod);
        using (ContainerCgroup old = first.CreateAttempt("app1", 0))
            _fs.AddProcess(old.Path, 77);
        PodCgroup second = _manager.CreatePod(_pod);
        Assert.False(Directory.Exists(Path.Combine(PodDir, "app1-0")));
        Assert.Equal("301989888", _fs.Value(second.Path, "memory.max"));
    }

    [Fact]
    public void AttachingToARunningPodTouchesNothing()
    {
        Assert.Null(_manager.AttachPod(_pod));
        PodCgroup created = _manager.CreatePod(_pod);
        using (ContainerCgroup app = created.CreateAttempt("app1", 0))
            _fs.AddProcess(app.Path, 77);
        int writes = _fs.Writes.Count;
        PodCgroup attached = _manager.AttachPod(_pod)!;
        Assert.Equal(created.Path, attached.Path);
        Assert.Equal(20, attached.ContainerPidsMax);
        Assert.Equal(writes, _fs.Writes.Count);
        Assert.Equal("77", _fs.Value(Path.Combine(PodDir, "app1-0"), "cgroup.procs"));
    }

    [Fact]
    public void FailedWriteNamesTheFileAndLeavesNothing()
    {
        _fs.FailWrite = path => path.EndsWith("pids.max", StringComparison.Ordinal) ? Errno.EINVAL : null;
        var e = Assert.Throws<NativeException>(() => _manager.CreatePod(_pod));
        Assert.Equal($"write({Path.Combine(PodDir, "pids.max")}): EINVAL", e.Message);
        Assert.False(Directory.Exists(PodDir));
    }

    [Fact]
    public void FailedAttemptWriteRemovesTheAttemptCgroup()
    {
        PodCgroup pod = _manager.CreatePod(_pod);
        _fs.FailWrite = path => path.EndsWith(Path.Combine("app2-0", "cpu.max"), StringComparison.Ordinal) ? Errno.EINVAL : null;
        Assert.Throws<NativeException>(() => pod.CreateAttempt("app2", 0));
        Assert.False(Directory.Exists(Path.Combine(PodDir, "app2-0")));
    }

    [Fact]
    public void OomKillsAreReadFromMemoryEvents()
    {
        PodCgroup pod = _manager.CreatePod(_pod);
        using ContainerCgroup app = pod.CreateAttempt("app1", 0);
        Assert.Equal(0, app.OomKills());
        File.WriteAllText(Path.Combine(app.Path, "memory.events"), "low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\noom_group_kill 1\n");
        Assert.Equal(1, app.OomKills());
    }

    [Fact]
    public void CloneIntoCgroupFallsBackToCgroupProcsOnlyForKernelsWithoutIt()
    {
        PodCgroup pod = _manager.CreatePod(_pod);
        using ContainerCgroup app = pod.CreateAttempt("app1", 0);
        Assert.NotNull(app.CloneTarget);
        Assert.False(app.FallBackFromCloneInto(Errno.EPERM)); // a real failure: no retry
        Assert.True(_manager.CloneIntoCgroup);
        Assert.True(app.FallBackFromCloneInto(Errno.E2BIG));   // clone_args too big for this kernel
        Assert.False(_manager.CloneIntoCgroup);
        Assert.Null(app.CloneTarget);
        app.AddProcess(4321);
        Assert.Equal("4321", _fs.Value(app.Path, "cgroup.procs"));
    }

    [Fact]
    public void CloneTargetIsADirectoryFdUntilDisposed()
    {
        PodCgroup pod = _manager.CreatePod(_pod);
        ContainerCgroup app = pod.CreateAttempt("app1", 0);
        SafeFdHandle fd = app.CloneTarget!;
        Assert.False(fd.IsInvalid);
        Assert.Same(fd, app.CloneTarget);
        app.Dispose();
        Assert.True(fd.IsClosed);
        Assert.Null(app.CloneTarget);
    }

    [Theory]
    [InlineData("8d1c-42", "pod-8d1c-42")]
    [InlineData("../../etc", "pod-.._.._etc")]
    [InlineData("a b/c", "pod-a_b_c")]
    public void PodDirectoryNameStaysOneComponent(string uid, string expected) =>
        Assert.Equal(expected, CgroupManager.PodDirectoryName(uid));

    [Fact]
    public void PodPidsLimitMustLeaveRoomForContainers() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new CgroupManager(_fs.Root, _fs, _sys, podPidsLimit: 4));

    /// <summary>Kill that empties cgroup.procs, as the processes dying would.</summary>
    private sealed class KillingSyscalls : ISyscalls
    {
        public string? Cgroup { get; set; }
        public List<(int, int)> Killed { get; } = new();
        public void Mount(string? source, string target, string? fsType, ulong flags, string? data) { }
        public bool Unmount(string target, bool detach) => true;
        public void CreateDirectory(string path, UnixFileMode mode) => Directory.CreateDirectory(path);

        public bool Kill(int pid, int signal)
        {
            Killed.Add((pid, signal));
            string procs = Path.Combine(Cgroup!, "cgroup.procs");
            File.WriteAllLines(procs, File.ReadAllLines(procs).Where(l => l != pid.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            return true;
        }
    }
}
