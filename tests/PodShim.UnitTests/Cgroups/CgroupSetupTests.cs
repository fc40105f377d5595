using PodShim.Manifest;
using PodShim.Runtime.Cgroups;
using PodShim.Runtime.Containers;
using PodShim.Runtime.Lifecycle;
using PodShim.Runtime.Pods;
using PodShim.UnitTests.Fakes;

namespace PodShim.UnitTests.Cgroups;

/// <summary>What the supervisor does about cgroups: enforce, or warn (or fail) when it cannot.</summary>
public sealed class CgroupSetupTests : IDisposable
{
    private readonly TestDirectory _dir = new();
    private readonly RecordingSyscalls _sys = new();
    private readonly Events _events = new();
    private readonly Pod _pod = TestPods.Load(CgroupSettingsTests.LimitsPod);

    public void Dispose() => _dir.Dispose();

    private CgroupOptions Options(string mountPoint, string controllers, bool require, out FakeCgroupFileSystem fs)
    {
        fs = new FakeCgroupFileSystem(mountPoint, controllers);
        string info = _dir.Combine("mountinfo");
        File.WriteAllText(info, $"41 31 0:38 / {mountPoint} rw,relatime - cgroup2 cgroup2 rw\n");
        return new CgroupOptions { MountInfo = info, Require = require, PodPidsLimit = 64 };
    }

    [Fact]
    public void WithoutUsableCgroupsThePodRunsWithOneWarning()
    {
        string unified = _dir.Combine("unified");
        CgroupOptions options = Options(unified, "hugetlb", require: false, out var fs);
        Assert.Null(CgroupSetup.CreatePodCgroup(_pod, options, _sys, _events, fs));
        var warning = Assert.Single(_events.Recorded);
        Assert.Equal(("Warning", "ResourceLimitsNotEnforced",
            $"resource limits are not enforced: the cgroup2 hierarchy at {unified} has no cpu, memory, pids controllers (a hybrid host: they are bound to cgroup v1)"),
            warning);
        Assert.Empty(fs.Writes);
        Assert.False(Directory.Exists(Path.Combine(unified, "podshim")));
    }

    [Fact]
    public void RequireCgroupsMakesItAnError()
    {
        string unified = _dir.Combine("unified");
        CgroupOptions options = Options(unified, "hugetlb", require: true, out var fs);
        var e = Assert.Throws<PodRunException>(() => CgroupSetup.CreatePodCgroup(_pod, options, _sys, _events, fs));
        Assert.StartsWith("--require-cgroups: resource limits are not enforced: the cgroup2 hierarchy at ", e.Message);
        Assert.Empty(_events.Recorded);
        Assert.Empty(fs.Writes);
    }

    [Fact]
    public void UsableCgroupsGiveThePodCgroupAndNoWarning()
    {
        CgroupOptions options = Options(_dir.Combine("cgroup"), "cpu memory pids", require: true, out var fs);
        PodCgroup? cgroup = CgroupSetup.CreatePodCgroup(_pod, options, _sys, _events, fs);
        Assert.NotNull(cgroup);
        Assert.Equal("64", fs.Value(cgroup.Path, "pids.max"));
        Assert.Empty(_events.Recorded);
        CgroupSetup.RemovePodCgroup(cgroup, _events);
        Assert.False(Directory.Exists(cgroup.Path));
    }

    [Fact]
    public void FailureToCreateThePodCgroupIsAWarningToo()
    {
        CgroupOptions options = Options(_dir.Combine("cgroup"), "cpu memory pids", require: false, out var fs);
        fs.FailWrite = p => p.EndsWith("memory.max", StringComparison.Ordinal) ? PodShim.Interop.Errno.EINVAL : null;
        Assert.Null(CgroupSetup.CreatePodCgroup(_pod, options, _sys, _events, fs));
        var (type, reason, message) = Assert.Single(_events.Recorded);
        Assert.Equal("Warning", type);
        Assert.Equal("ResourceLimitsNotEnforced", reason);
        Assert.EndsWith("memory.max): EINVAL", message);
    }

    [Fact]
    public void OomKillInMemoryEventsMeansOomKilledAndTheCgroupGoes()
    {
        CgroupOptions options = Options(_dir.Combine("cgroup"), "cpu memory pids", require: false, out var fs);
        PodCgroup pod = CgroupSetup.CreatePodCgroup(_pod, options, _sys, _events, fs)!;
        using ContainerCgroup app = pod.CreateAttempt("app1", 0);
        File.WriteAllText(Path.Combine(app.Path, "memory.events"), "oom 1\noom_kill 1\n");
        var exit = new ExitRecord(9, true, 137, 9, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, OomKilled: false);
        Assert.True(CgroupSetup.AfterExit(app, exit, _events).OomKilled);
        Assert.False(Directory.Exists(app.Path));
    }

    [Fact]
    public void SigkillWithoutOomStaysAnError()
    {
        CgroupOptions options = Options(_dir.Combine("cgroup"), "cpu memory pids", require: false, out var fs);
        PodCgroup pod = CgroupSetup.CreatePodCgroup(_pod, options, _sys, _events, fs)!;
        using ContainerCgroup app = pod.CreateAttempt("app1", 0);
        var exit = new ExitRecord(9, true, 137, 9, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, OomKilled: false);
        ExitRecord after = CgroupSetup.AfterExit(app, exit, _events);
        Assert.False(after.OomKilled);
        Assert.Equal("Error", PodShim.Runtime.Status.ContainerReasons.TerminatedReason(after.ExitCode, after.OomKilled));
    }

    private sealed class Events : IEventRecorder
    {
        public List<(string Type, string Reason, string Message)> Recorded { get; } = new();
        public void Record(string type, string reason, string message, string? container = null) => Recorded.Add((type, reason, message));
    }
}
