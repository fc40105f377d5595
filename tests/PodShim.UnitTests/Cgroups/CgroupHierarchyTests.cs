using PodShim.Runtime.Cgroups;
using PodShim.UnitTests.Fakes;

namespace PodShim.UnitTests.Cgroups;

public sealed class CgroupHierarchyTests : IDisposable
{
    private readonly TestDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string MountInfo(params string[] lines)
    {
        string path = _dir.Combine("mountinfo");
        File.WriteAllText(path, string.Join('\n', lines) + "\n");
        return path;
    }

    private static string Cgroup2(string mountPoint, string options = "rw,nosuid,nodev,noexec,relatime") =>
        $"41 31 0:38 / {mountPoint} {options} shared:9 - cgroup2 cgroup2 rw,nsdelegate";

    [Fact]
    public void HybridHostIsNotUsable()
    {
        // As on the development hosts: v1 controllers, and a cgroup2 mount without cpu, memory, pids.
        string unified = _dir.Combine("unified");
        var fs = new FakeCgroupFileSystem(unified, controllers: "hugetlb");
        string info = MountInfo(
            $"31 23 0:28 / {_dir.Combine("v1")} rw,relatime - tmpfs tmpfs rw,mode=755",
            $"35 31 0:32 / {_dir.Combine("v1", "memory")} rw,relatime - cgroup cgroup rw,memory",
            Cgroup2(unified));
        CgroupHierarchy h = CgroupHierarchy.Detect(info, fs);
        Assert.False(h.Usable);
        Assert.Equal($"the cgroup2 hierarchy at {unified} has no cpu, memory, pids controllers (a hybrid host: they are bound to cgroup v1)", h.Reason);
    }

    [Fact]
    public void PureV2IsUsable()
    {
        string root = _dir.Combine("cgroup");
        var fs = new FakeCgroupFileSystem(root);
        CgroupHierarchy h = CgroupHierarchy.Detect(MountInfo(Cgroup2(root)), fs);
        Assert.True(h.Usable);
        Assert.Equal(root, h.Root);
        Assert.Null(h.Reason);
        Assert.Empty(fs.Writes); // detection only reads
    }

    [Fact]
    public void NamesTheMissingController()
    {
        string root = _dir.Combine("cgroup");
        var fs = new FakeCgroupFileSystem(root, controllers: "cpu memory io");
        Assert.Equal($"the cgroup2 hierarchy at {root} has no pids controller", CgroupHierarchy.Detect(MountInfo(Cgroup2(root)), fs).Reason);
    }

    [Fact]
    public void CgroupV1Only()
    {
        var fs = new FakeCgroupFileSystem(_dir.Combine("x"));
        string info = MountInfo($"35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory");
        Assert.Equal("no cgroup2 filesystem is mounted (a cgroup v1 host)", CgroupHierarchy.Detect(info, fs).Reason);
    }

    [Fact]
    public void ReadOnlyMountIsNotUsable()
    {
        string root = _dir.Combine("cgroup");
        var fs = new FakeCgroupFileSystem(root);
        Assert.Equal($"the cgroup2 hierarchy at {root} is mounted read-only",
            CgroupHierarchy.Detect(MountInfo(Cgroup2(root, "ro,nosuid")), fs).Reason);
    }

    [Fact]
    public void UsableMountWinsOverAnUnusableOne()
    {
        string hybrid = _dir.Combine("unified"), good = _dir.Combine("cg2");
        var fs = new FakeCgroupFileSystem(hybrid, controllers: "");
        _ = new FakeCgroupFileSystem(good);
        Assert.Equal(good, CgroupHierarchy.Detect(MountInfo(Cgroup2(hybrid), Cgroup2(good)), fs).Root);
    }

    [Fact]
    public void MountPointEscapesAreDecoded()
    {
        string root = _dir.Combine("my cgroup");
        var fs = new FakeCgroupFileSystem(root);
        Assert.Equal(root, CgroupHierarchy.Detect(MountInfo(Cgroup2(root.Replace(" ", "\\040"))), fs).Root);
    }

    [Fact]
    public void UnreadableMountInfo()
    {
        var fs = new FakeCgroupFileSystem(_dir.Combine("x"));
        Assert.StartsWith("cannot read ", CgroupHierarchy.Detect(_dir.Combine("missing"), fs).Reason);
    }
}
