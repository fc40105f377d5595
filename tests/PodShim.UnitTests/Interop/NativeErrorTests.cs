using PodShim.Interop;

namespace PodShim.UnitTests.Interop;

public sealed class NativeErrorTests
{
    [Theory]
    [InlineData(1, "EPERM")]
    [InlineData(2, "ENOENT")]
    [InlineData(13, "EACCES")]
    [InlineData(16, "EBUSY")]
    [InlineData(22, "EINVAL")]
    [InlineData(28, "ENOSPC")]
    [InlineData(38, "ENOSYS")]
    [InlineData(95, "EOPNOTSUPP")]
    [InlineData(110, "ETIMEDOUT")]
    [InlineData(111, "ECONNREFUSED")]
    [InlineData(4242, "errno 4242")]
    [InlineData(0, "errno 0")]
    public void ErrnoName(int errno, string expected)
    {
        Assert.Equal(expected, Errno.Name(errno));
    }

    [Fact]
    public void ErrnoConstantsHaveLinuxValues()
    {
        Assert.Equal((1, 2, 8, 13, 17, 22, 36, 113), (Errno.EPERM, Errno.ENOENT, Errno.ENOEXEC, Errno.EACCES, Errno.EEXIST, Errno.EINVAL, Errno.ENAMETOOLONG, Errno.EHOSTUNREACH));
    }

    [Fact]
    public void MessageNamesCallTargetAndErrno()
    {
        var e = new NativeException("setns", "/proc/4242/ns/net", Errno.EPERM);
        Assert.Equal("setns(/proc/4242/ns/net): EPERM", e.Message);
        Assert.Equal("setns", e.Call);
        Assert.Equal("/proc/4242/ns/net", e.Target);
        Assert.Equal(Errno.EPERM, e.ErrorNumber);
    }

    [Fact]
    public void MessageWithoutTarget()
    {
        Assert.Equal("pidfd_open: ESRCH", new NativeException("pidfd_open", null, Errno.ESRCH).Message);
    }

    [Fact]
    public void ThrowIfNegativeReturnsNonNegativeResults()
    {
        Assert.Equal(0, NativeException.ThrowIfNegative(0, "x"));
        Assert.Equal(7, NativeException.ThrowIfNegative(7, "x"));
    }

    [Fact]
    public void ThrowIfNegativeTurnsMinusErrnoIntoAnException()
    {
        var e = Assert.Throws<NativeException>(() => NativeException.ThrowIfNegative(-Errno.EBUSY, "umount2", "/mnt"));
        Assert.Equal(Errno.EBUSY, e.ErrorNumber);
        Assert.Equal("umount2(/mnt): EBUSY", e.Message);
    }

    [Fact]
    public void ThrowIfMinusOneReturnsOtherResults()
    {
        Assert.Equal(3, NativeException.ThrowIfMinusOne(3, "open"));
        Assert.Equal(-2, NativeException.ThrowIfMinusOne(-2, "open"));
    }

    [Theory]
    [InlineData(SpawnStep.Exec, Errno.ENOENT, 127)]
    [InlineData(SpawnStep.Exec, Errno.EACCES, 126)]
    [InlineData(SpawnStep.Exec, Errno.ENOEXEC, 126)]
    [InlineData(SpawnStep.Exec, Errno.EISDIR, 126)]
    [InlineData(SpawnStep.Cwd, Errno.ENOENT, 127)]
    [InlineData(SpawnStep.Mounts, Errno.EPERM, 127)]
    [InlineData(SpawnStep.Clone, Errno.EPROTO, 127)]
    public void ConventionalExitCode(SpawnStep step, int errno, int expected)
    {
        Assert.Equal(expected, new SpawnException(step, errno, "m").ConventionalExitCode);
    }

    [Fact]
    public void SpawnExceptionKeepsStepErrnoAndMessage()
    {
        var e = new SpawnException(SpawnStep.Uid, Errno.EPERM, "setresuid(1000): EPERM");
        Assert.Equal(SpawnStep.Uid, e.Step);
        Assert.Equal(Errno.EPERM, e.ErrorNumber);
        Assert.Equal("setresuid(1000): EPERM", e.Message);
    }

    [Theory]
    [InlineData(SpawnStep.Ready, 0)]
    [InlineData(SpawnStep.Clone, 1)]
    [InlineData(SpawnStep.Mounts, 9)]
    [InlineData(SpawnStep.Exec, 27)]
    [InlineData(SpawnStep.DevNull, 30)]
    public void SpawnStepValuesMatchTheNativeEnum(SpawnStep step, int value)
    {
        Assert.Equal(value, (int)step);
    }
}
