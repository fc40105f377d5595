using PodShim.Runtime.Containers;

namespace PodShim.UnitTests.Containers;

public sealed class ContainerSecurityTests
{
    private static ulong Bit(int n) => 1UL << n;

    [Fact]
    public void DefaultMaskIsContainerdsDefaultCapEff()
    {
        // CapEff of a default docker/containerd container: grep CapEff /proc/self/status.
        Assert.Equal(0xa80425fbUL, ContainerSecurity.DefaultMask);
    }

    [Fact]
    public void DefaultCapabilitiesAreFourteenDistinctNames()
    {
        Assert.Equal(14, ContainerSecurity.DefaultCapabilities.Distinct().Count());
        Assert.Equal(14, System.Numerics.BitOperations.PopCount(ContainerSecurity.DefaultMask));
    }

    [Theory]
    [InlineData("CAP_CHOWN", 0)]
    [InlineData("CHOWN", 0)]
    [InlineData("CAP_KILL", 5)]
    [InlineData("CAP_NET_BIND_SERVICE", 10)]
    [InlineData("CAP_NET_ADMIN", 12)]
    [InlineData("NET_ADMIN", 12)]
    [InlineData("net_admin", 12)]
    [InlineData("cap_net_raw", 13)]
    [InlineData("CAP_SYS_ADMIN", 21)]
    [InlineData("CAP_SETFCAP", 31)]
    [InlineData("CAP_SYSLOG", 34)]
    [InlineData("CAP_BPF", 39)]
    [InlineData("CAP_CHECKPOINT_RESTORE", 40)]
    [InlineData("CAP_NOPE", -1)]
    [InlineData("", -1)]
    [InlineData("CAP_", -1)]
    public void NumberOfCapabilityName(string name, int expected)
    {
        Assert.Equal(expected, ContainerSecurity.Number(name));
    }

    [Fact]
    public void MaskOfUnknownNameThrowsConfigError()
    {
        var e = Assert.Throws<ContainerConfigException>(() => ContainerSecurity.Mask(["CHOWN", "CAP_FLY"]));
        Assert.Contains("CAP_FLY", e.Message);
    }

    [Fact]
    public void MaskOfNoNamesIsZero()
    {
        Assert.Equal(0UL, ContainerSecurity.Mask([]));
    }

    [Fact]
    public void AllMaskContainsTheDefaultSetAndTheFirstFortyOneCapabilities()
    {
        ulong all = ContainerSecurity.AllMask;
        Assert.Equal(ContainerSecurity.DefaultMask, all & ContainerSecurity.DefaultMask);
        // Every kernel podshim supports (5.x and later) knows at least CAP_BPF (39).
        Assert.Equal((1UL << 40) - 1, all & ((1UL << 40) - 1));
        // The mask is contiguous from bit 0.
        Assert.Equal(0UL, all & (all + 1));
    }

    [Fact]
    public void DefaultWhenNoAddOrDrop()
    {
        Assert.Equal(ContainerSecurity.DefaultMask, ContainerSecurity.Effective(false, [], []));
    }

    [Fact]
    public void PrivilegedGetsEveryCapabilityWhateverIsDropped()
    {
        Assert.Equal(ContainerSecurity.AllMask, ContainerSecurity.Effective(true, [], []));
        Assert.Equal(ContainerSecurity.AllMask, ContainerSecurity.Effective(true, [], ["ALL"]));
    }

    [Theory]
    [InlineData(new[] { "NET_ADMIN" }, new string[0], 12, true)]
    [InlineData(new[] { "CAP_SYS_ADMIN" }, new string[0], 21, true)]
    [InlineData(new string[0], new[] { "CHOWN" }, 0, false)]
    [InlineData(new string[0], new[] { "CAP_NET_RAW" }, 13, false)]
    [InlineData(new[] { "NET_ADMIN" }, new[] { "NET_ADMIN" }, 12, false)]
    public void AddAndDropSingleCapabilities(string[] add, string[] drop, int bit, bool present)
    {
        ulong mask = ContainerSecurity.Effective(false, add, drop);
        Assert.Equal(present, (mask & Bit(bit)) != 0);
        // Everything else in the default set is untouched.
        Assert.Equal(ContainerSecurity.DefaultMask & ~Bit(bit), mask & ~Bit(bit));
    }

    [Fact]
    public void DropAllLeavesNothing()
    {
        Assert.Equal(0UL, ContainerSecurity.Effective(false, [], ["ALL"]));
        Assert.Equal(0UL, ContainerSecurity.Effective(false, [], ["all"]));
    }

    [Fact]
    public void AddAllThenDropOneIsAllButThatOne()
    {
        Assert.Equal(ContainerSecurity.AllMask & ~Bit(0), ContainerSecurity.Effective(false, ["ALL"], ["CHOWN"]));
    }

    [Fact]
    public void DropAllThenAddKeepsTheAddedCapabilities()
    {
        // The usual hardening idiom. containerd (WithCapabilities) applies add ALL, then drop ALL,
        // then the individual adds, then the individual drops: the result is exactly NET_BIND_SERVICE.
        ulong mask = ContainerSecurity.Effective(false, ["NET_BIND_SERVICE"], ["ALL"]);
        Assert.Equal(Bit(10), mask);
    }

    [Fact]
    public void UnknownCapabilityInAddOrDropIsAConfigError()
    {
        Assert.Throws<ContainerConfigException>(() => ContainerSecurity.Effective(false, ["NOT_A_CAP"], []));
        Assert.Throws<ContainerConfigException>(() => ContainerSecurity.Effective(false, [], ["NOT_A_CAP"]));
    }

    [Fact]
    public void MaskedAndReadonlyPathsAreAbsoluteAndUnderProcOrSys()
    {
        Assert.All(ContainerSecurity.MaskedPaths.Concat(ContainerSecurity.ReadonlyPaths),
            p => Assert.Matches("^/(proc|sys)/", p));
        Assert.Contains("/proc/kcore", ContainerSecurity.MaskedPaths);
        Assert.Contains("/proc/sys", ContainerSecurity.ReadonlyPaths);
    }
}
