using PodShim.Interop;

namespace PodShim.UnitTests.Interop;

public sealed class DescribeTests
{
    private static ContainerSpawnRequest Request(string argv0 = "foo") => new()
    {
        Rootfs = "/var/lib/podshim/pods/default_web/containers/app/0/rootfs",
        Argv = argv0.Length == 0 ? [] : [argv0, "--flag"],
        Env = ["PATH=/bin"],
        WorkingDirectory = "/srv",
        Hostname = "web",
        HolderPid = 4242,
        Identity = new ProcessIdentity { Uid = 1000, Gid = 50 },
        CgroupPath = "/sys/fs/cgroup/podshim/web",
        KeeperPath = "/usr/lib/podshim/podshim-keeper",
        LogPath = "/tmp/log",
        ExitPath = "/tmp/exit.json",
    };

    [Theory]
    [InlineData("foo", Errno.ENOENT, "exec: \"foo\": executable file not found in $PATH")]
    [InlineData("/bin/foo", Errno.ENOENT, "exec: \"/bin/foo\": stat /bin/foo: no such file or directory")]
    [InlineData("./run.sh", Errno.ENOENT, "exec: \"./run.sh\": stat ./run.sh: no such file or directory")]
    [InlineData("/bin/foo", Errno.EACCES, "exec: \"/bin/foo\": permission denied")]
    [InlineData("/data.txt", Errno.ENOEXEC, "exec: \"/data.txt\": exec format error")]
    [InlineData("/etc", Errno.EISDIR, "exec: \"/etc\": is a directory")]
    [InlineData("/etc/x/y", Errno.ENOTDIR, "exec: \"/etc/x/y\": not a directory")]
    [InlineData("/bin/sh", Errno.EPERM, "exec: \"/bin/sh\": operation not permitted")]
    [InlineData("/bin/big", Errno.E2BIG, "exec: \"/bin/big\": E2BIG")]
    [InlineData("/bin/busy", Errno.ETXTBSY, "exec: \"/bin/busy\": ETXTBSY")]
    public void ExecFailures(string argv0, int errno, string expected)
    {
        Assert.Equal(expected, ContainerSpawner.Describe(SpawnStep.Exec, errno, Request(argv0)));
    }

    [Fact]
    public void ExecWithEmptyArgv()
    {
        Assert.Equal("exec: \"\": executable file not found in $PATH", ContainerSpawner.Describe(SpawnStep.Exec, Errno.ENOENT, Request("")));
    }

    [Theory]
    [InlineData(SpawnStep.Clone, Errno.ENOMEM, "clone3: ENOMEM")]
    [InlineData(SpawnStep.Cgroup, Errno.EBUSY, "clone3(CLONE_INTO_CGROUP)(/sys/fs/cgroup/podshim/web): EBUSY")]
    [InlineData(SpawnStep.KeeperExec, Errno.ENOENT, "execve(/usr/lib/podshim/podshim-keeper): ENOENT")]
    [InlineData(SpawnStep.Setns, Errno.EPERM, "setns(/proc/4242/ns): EPERM")]
    [InlineData(SpawnStep.Rootfs, Errno.EINVAL, "mount(overlay)(/var/lib/podshim/pods/default_web/containers/app/0/rootfs): EINVAL")]
    [InlineData(SpawnStep.Mounts, Errno.ENOENT, "mount(volumes)(/var/lib/podshim/pods/default_web/containers/app/0/rootfs): ENOENT")]
    [InlineData(SpawnStep.PivotRoot, Errno.EINVAL, "pivot_root(/var/lib/podshim/pods/default_web/containers/app/0/rootfs): EINVAL")]
    [InlineData(SpawnStep.Proc, Errno.EPERM, "mount(proc): EPERM")]
    [InlineData(SpawnStep.Hostname, Errno.EINVAL, "sethostname(web): EINVAL")]
    [InlineData(SpawnStep.Gid, Errno.EPERM, "setresgid(50): EPERM")]
    [InlineData(SpawnStep.Uid, Errno.EPERM, "setresuid(1000): EPERM")]
    [InlineData(SpawnStep.Caps, Errno.EPERM, "capset: EPERM")]
    [InlineData(SpawnStep.NoNewPrivs, Errno.EINVAL, "prctl(PR_SET_NO_NEW_PRIVS): EINVAL")]
    [InlineData(SpawnStep.Cwd, Errno.ENOENT, "chdir(/srv): ENOENT")]
    [InlineData(SpawnStep.Groups, Errno.EPERM, "setgroups: EPERM")]
    [InlineData(SpawnStep.Rlimits, Errno.EPERM, "setrlimit: EPERM")]
    [InlineData(SpawnStep.ReadonlyRoot, Errno.EBUSY, "remount / read-only: EBUSY")]
    [InlineData(SpawnStep.WaitGo, Errno.EPIPE, "read(go pipe): EPIPE")]
    [InlineData(SpawnStep.Ready, Errno.EIO, "Ready: EIO")]
    public void OtherStepsNameTheCallAndTarget(SpawnStep step, int errno, string expected)
    {
        Assert.Equal(expected, ContainerSpawner.Describe(step, errno, Request()));
    }

    [Fact]
    public void RootfsSymlink()
    {
        string message = ContainerSpawner.Describe(SpawnStep.RootfsSymlink, Errno.ELOOP, Request());
        Assert.StartsWith("rootfs /var/lib/podshim/pods/default_web/containers/app/0/rootfs: ", message);
        Assert.EndsWith(": ELOOP", message);
    }

    [Fact]
    public void CwdOutsideRoot()
    {
        Assert.Equal("working directory \"/srv\" is outside the container's root filesystem",
            ContainerSpawner.Describe(SpawnStep.CwdOutsideRoot, Errno.EXDEV, Request()));
    }

    [Fact]
    public void EveryStepHasADescription()
    {
        foreach (SpawnStep step in Enum.GetValues<SpawnStep>())
            Assert.False(string.IsNullOrWhiteSpace(ContainerSpawner.Describe(step, Errno.EIO, Request())));
    }
}
