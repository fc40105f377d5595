using PodShim.Runtime.Status;
using static PodShim.UnitTests.Status.F;

namespace PodShim.UnitTests.Status;

public class RestartRulesTests
{
    [Theory]
    [InlineData(ContainerKind.App, "Always", 0, true)]
    [InlineData(ContainerKind.App, "Always", 1, true)]
    [InlineData(ContainerKind.App, "OnFailure", 0, false)]
    [InlineData(ContainerKind.App, "OnFailure", 1, true)]
    [InlineData(ContainerKind.App, "Never", 0, false)]
    [InlineData(ContainerKind.App, "Never", 1, false)]
    [InlineData(ContainerKind.Init, "Always", 0, false)]
    [InlineData(ContainerKind.Init, "Always", 1, true)]
    [InlineData(ContainerKind.Init, "OnFailure", 0, false)]
    [InlineData(ContainerKind.Init, "OnFailure", 1, true)]
    [InlineData(ContainerKind.Init, "Never", 0, false)]
    [InlineData(ContainerKind.Init, "Never", 1, false)]
    [InlineData(ContainerKind.Sidecar, "Always", 0, true)]
    [InlineData(ContainerKind.Sidecar, "Always", 1, true)]
    [InlineData(ContainerKind.Sidecar, "OnFailure", 0, true)]
    [InlineData(ContainerKind.Sidecar, "OnFailure", 1, true)]
    [InlineData(ContainerKind.Sidecar, "Never", 0, true)]
    [InlineData(ContainerKind.Sidecar, "Never", 1, true)]
    [InlineData(ContainerKind.App, "Always", 137, true)]
    [InlineData(ContainerKind.App, "OnFailure", -1, true)]
    [InlineData(ContainerKind.Init, "OnFailure", 137, true)]
    public void Matrix(ContainerKind kind, string policy, int exitCode, bool expected) =>
        Assert.Equal(expected, RestartRules.ShouldRestart(kind, policy, exitCode));

    [Fact]
    public void Kind_of_spec_containers()
    {
        var pod = Pod("Always", "s:side,i1", "app");
        Assert.Equal(ContainerKind.Sidecar, RestartRules.KindOf(pod.Spec.InitContainers[0], isInit: true));
        Assert.Equal(ContainerKind.Init, RestartRules.KindOf(pod.Spec.InitContainers[1], isInit: true));
        Assert.Equal(ContainerKind.App, RestartRules.KindOf(pod.Spec.Containers[0], isInit: false));
    }

    [Theory]
    [InlineData(0, false, "Completed")]
    [InlineData(1, false, "Error")]
    [InlineData(137, false, "Error")]
    [InlineData(137, true, "OOMKilled")]
    [InlineData(0, true, "OOMKilled")]
    public void Terminated_reason(int exitCode, bool oom, string expected) =>
        Assert.Equal(expected, ContainerReasons.TerminatedReason(exitCode, oom));

    [Theory]
    [InlineData("i1", "app", "PodInitializing")]
    [InlineData("s:side", "app", "PodInitializing")]
    [InlineData("", "app", "ContainerCreating")]
    public void Default_waiting_reason(string inits, string apps, string expected) =>
        Assert.Equal(expected, ContainerReasons.DefaultWaitingReason(Pod("Always", inits, apps)));
}

public class BackOffPolicyTests
{
    private static readonly TimeSpan Short = TimeSpan.FromSeconds(1);

    [Fact]
    public void Sequence_is_0_10_20_40_80_160_300_300()
    {
        var b = new BackOffPolicy();
        Assert.Equal(TimeSpan.Zero, b.Current);
        var delays = Enumerable.Range(0, 9).Select(_ => (int)b.NextDelay(Short).TotalSeconds).ToArray();
        Assert.Equal([0, 10, 20, 40, 80, 160, 300, 300, 300], delays);
        Assert.Equal(TimeSpan.FromSeconds(300), b.Current);
    }

    [Fact]
    public void Current_is_the_last_delay_returned()
    {
        var b = new BackOffPolicy();
        b.NextDelay(Short);
        Assert.Equal(TimeSpan.Zero, b.Current);
        b.NextDelay(Short);
        b.NextDelay(Short);
        Assert.Equal(TimeSpan.FromSeconds(20), b.Current);
    }

    [Fact]
    public void A_run_longer_than_ten_minutes_resets_the_sequence()
    {
        var b = new BackOffPolicy();
        for (var i = 0; i < 5; i++)
            b.NextDelay(Short); // …, 80
        Assert.Equal(TimeSpan.Zero, b.NextDelay(TimeSpan.FromSeconds(601)));
        Assert.Equal(TimeSpan.FromSeconds(10), b.NextDelay(Short));
        Assert.Equal(TimeSpan.FromSeconds(20), b.NextDelay(Short));
    }

    [Fact]
    public void A_run_of_exactly_ten_minutes_does_not_reset()
    {
        var b = new BackOffPolicy();
        b.NextDelay(Short);
        b.NextDelay(Short); // 10
        Assert.Equal(TimeSpan.FromSeconds(20), b.NextDelay(BackOffPolicy.ResetAfterRunning));
    }

    [Fact]
    public void Reset_starts_over()
    {
        var b = new BackOffPolicy();
        b.NextDelay(Short);
        b.NextDelay(Short);
        b.Reset();
        Assert.Equal(TimeSpan.Zero, b.Current);
        Assert.Equal(TimeSpan.Zero, b.NextDelay(Short));
        Assert.Equal(TimeSpan.FromSeconds(10), b.NextDelay(Short));
    }

    [Theory]
    [InlineData(10, "back-off 10s restarting failed container=app pod=web_default(1f6d3c1e-0000-4000-8000-000000000001)")]
    [InlineData(40, "back-off 40s restarting failed container=app pod=web_default(1f6d3c1e-0000-4000-8000-000000000001)")]
    [InlineData(80, "back-off 1m20s restarting failed container=app pod=web_default(1f6d3c1e-0000-4000-8000-000000000001)")]
    [InlineData(300, "back-off 5m0s restarting failed container=app pod=web_default(1f6d3c1e-0000-4000-8000-000000000001)")]
    public void Message_is_kubelets(int seconds, string expected) =>
        Assert.Equal(expected, BackOffPolicy.Message(TimeSpan.FromSeconds(seconds), "app", Pod("Always", "", "app")));

    [Fact]
    public void Event_message_is_kubelets() =>
        Assert.Equal("Back-off restarting failed container app in pod web_default(1f6d3c1e-0000-4000-8000-000000000001)",
            BackOffPolicy.EventMessage("app", Pod("Always", "", "app")));

    [Fact]
    public void Constants()
    {
        Assert.Equal(TimeSpan.FromSeconds(10), BackOffPolicy.Initial);
        Assert.Equal(TimeSpan.FromSeconds(300), BackOffPolicy.Max);
        Assert.Equal(TimeSpan.FromSeconds(600), BackOffPolicy.ResetAfterRunning);
    }
}
