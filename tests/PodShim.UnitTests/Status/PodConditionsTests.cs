using PodShim.Runtime.Status;
using static PodShim.UnitTests.Status.F;

namespace PodShim.UnitTests.Status;

public class PodConditionsTests
{
    private static readonly DateTimeOffset Earlier = Now.AddMinutes(-10);

    private static PodCondition Get(IReadOnlyList<PodCondition> cs, string type) => Assert.Single(cs, c => c.Type == type);

    private static string Show(PodCondition c) => $"{c.Status}|{c.Reason}|{c.Message}";

    private static IReadOnlyList<PodCondition> Compute(string policy, string inits, string apps, ContainerStatusInfo[] init,
        ContainerStatusInfo[] app, string phase, bool sandbox = true) =>
        PodConditions.Compute(Pod(policy, inits, apps), init, app, phase, sandbox, [], Now);

    [Fact]
    public void Order_and_types_are_the_kubelets()
    {
        var cs = Compute("Always", "", "app", L(), L(Running("app")), "Running");
        Assert.Equal(["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"], cs.Select(c => c.Type));
        Assert.All(cs, c => Assert.Equal("True", c.Status));
        Assert.All(cs, c => Assert.Null(c.Reason));
        Assert.All(cs, c => Assert.Equal(Now, c.LastTransitionTime));
    }

    [Theory]
    [InlineData(true, "True")]
    [InlineData(false, "False")]
    public void PodReadyToStartContainers_follows_the_sandbox(bool sandbox, string expected)
    {
        var cs = Compute("Always", "", "app", L(), L(Waiting("app", "ContainerCreating")), "Pending", sandbox);
        Assert.Equal(expected, Get(cs, "PodReadyToStartContainers").Status);
        Assert.Equal("True", Get(cs, "PodScheduled").Status);
    }

    public static TheoryData<string, string, string, string, ContainerStatusInfo[], ContainerStatusInfo[], string, string, string, string> Cases => new()
    {
        // label, policy, inits, apps, init statuses, app statuses, phase, Initialized, ContainersReady, Ready
        {
            "two inits pending", "Always", "a,b", "app", L(Waiting("a", "PodInitializing"), Waiting("b", "PodInitializing")), L(Waiting("app", "PodInitializing")), "Pending",
            "False|ContainersNotInitialized|containers with incomplete status: [a b]",
            "False|ContainersNotReady|containers with unready status: [app]",
            "False|ContainersNotReady|containers with unready status: [app]"
        },
        {
            "first init done", "Always", "a,b", "app", L(Exited("a", 0), Running("b", ready: false)), L(Waiting("app", "PodInitializing")), "Pending",
            "False|ContainersNotInitialized|containers with incomplete status: [b]",
            "False|ContainersNotReady|containers with unready status: [app]",
            "False|ContainersNotReady|containers with unready status: [app]"
        },
        {
            "init statuses unknown", "Always", "a,b", "app,web", L(Exited("a", 0)), L(Waiting("app", "PodInitializing")), "Pending",
            "False|ContainersNotInitialized|containers with unknown status: [b]",
            "False|ContainersNotReady|containers with unknown status: [web], containers with unready status: [app]",
            "False|ContainersNotReady|containers with unknown status: [web], containers with unready status: [app]"
        },
        {
            "unknown and incomplete together", "Always", "a,b", "app", L(Running("b", ready: false)), L(), "Pending",
            "False|ContainersNotInitialized|containers with unknown status: [a], containers with incomplete status: [b]",
            "False|ContainersNotReady|containers with unknown status: [app]",
            "False|ContainersNotReady|containers with unknown status: [app]"
        },
        {
            "initialized, one app unready", "Always", "a", "x,y,z", L(Exited("a", 0)), L(Running("x"), Running("y", ready: false), Running("z", ready: false)), "Running",
            "True||", "False|ContainersNotReady|containers with unready status: [y z]", "False|ContainersNotReady|containers with unready status: [y z]"
        },
        {
            "all ready", "Always", "a", "x,y", L(Exited("a", 0)), L(Running("x"), Running("y")), "Running",
            "True||", "True||", "True||"
        },
        {
            "succeeded", "Never", "a", "x", L(Exited("a", 0)), L(Exited("x", 0)), "Succeeded",
            "True|PodCompleted|", "False|PodCompleted|", "False|PodCompleted|"
        },
        {
            "failed app", "Never", "", "x,y", L(), L(Exited("x", 0), Exited("y", 1)), "Failed",
            "True||", "False|PodFailed|", "False|PodFailed|"
        },
        {
            "failed init under Never", "Never", "a,b", "x", L(Exited("a", 1), Waiting("b", "PodInitializing")), L(Waiting("x", "PodInitializing")), "Failed",
            "False|ContainersNotInitialized|containers with incomplete status: [a b]", "False|PodFailed|", "False|PodFailed|"
        },
        {
            "failed pod keeps containers unready even if one still reports ready", "Never", "", "x", L(), L(Running("x")), "Failed",
            "True||", "False|PodFailed|", "False|PodFailed|"
        },
        {
            "init back-off", "Always", "a", "x", L(BackOff("a", 1)), L(Waiting("x", "PodInitializing")), "Pending",
            "False|ContainersNotInitialized|containers with incomplete status: [a]",
            "False|ContainersNotReady|containers with unready status: [x]",
            "False|ContainersNotReady|containers with unready status: [x]"
        },
        {
            "sidecar running not started", "Always", "s:side,a", "x", L(Running("side", ready: false, started: false), Waiting("a", "PodInitializing")), L(Waiting("x", "PodInitializing")), "Pending",
            "False|ContainersNotInitialized|containers with incomplete status: [side a]",
            "False|ContainersNotReady|containers with unready status: [side x]",
            "False|ContainersNotReady|containers with unready status: [side x]"
        },
        {
            "sidecar started not ready, init done", "Always", "s:side,a", "x", L(Running("side", ready: false), Exited("a", 0)), L(Running("x")), "Running",
            "True||", "False|ContainersNotReady|containers with unready status: [side]", "False|ContainersNotReady|containers with unready status: [side]"
        },
        {
            "sidecar and app ready", "Always", "s:side", "x", L(Running("side")), L(Running("x")), "Running",
            "True||", "True||", "True||"
        },
        {
            "sidecar restarting after app ran", "Always", "s:side", "x", L(BackOff("side", 1)), L(Running("x")), "Running",
            "True||", "False|ContainersNotReady|containers with unready status: [side]", "False|ContainersNotReady|containers with unready status: [side]"
        },
        {
            "regular init reported ready counts as done", "Always", "a", "x", L(Running("a") with { Ready = true }), L(Waiting("x", "PodInitializing")), "Pending",
            "True||", "False|ContainersNotReady|containers with unready status: [x]", "False|ContainersNotReady|containers with unready status: [x]"
        },
        {
            "no init containers, app waiting", "Always", "", "x", L(), L(Waiting("x", "ContainerCreating")), "Pending",
            "True||", "False|ContainersNotReady|containers with unready status: [x]", "False|ContainersNotReady|containers with unready status: [x]"
        },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Conditions(string label, string policy, string inits, string apps, ContainerStatusInfo[] init, ContainerStatusInfo[] app,
        string phase, string initialized, string containersReady, string ready)
    {
        var cs = Compute(policy, inits, apps, init, app, phase);
        Assert.True(cs.Count == 5, label);
        Assert.Equal(initialized, Show(Get(cs, "Initialized")));
        Assert.Equal(containersReady, Show(Get(cs, "ContainersReady")));
        Assert.Equal(ready, Show(Get(cs, "Ready")));
    }

    [Fact]
    public void Transition_time_is_kept_while_the_status_is_unchanged_and_reset_when_it_changes()
    {
        var pod = Pod("Always", "a", "x");
        var first = PodConditions.Compute(pod, L(Running("a", ready: false)), L(Waiting("x", "PodInitializing")), "Pending", true, [], Earlier);
        Assert.All(first, c => Assert.Equal(Earlier, c.LastTransitionTime));

        // init done, app not ready: Initialized flips, the others keep their time, even though messages changed
        var second = PodConditions.Compute(pod, L(Exited("a", 0)), L(Running("x", ready: false)), "Running", true, first, Now);
        Assert.Equal(Now, Get(second, "Initialized").LastTransitionTime);
        Assert.Equal(Earlier, Get(second, "ContainersReady").LastTransitionTime);
        Assert.Equal(Earlier, Get(second, "Ready").LastTransitionTime);
        Assert.Equal(Earlier, Get(second, "PodScheduled").LastTransitionTime);
        Assert.Equal(Earlier, Get(second, "PodReadyToStartContainers").LastTransitionTime);

        var later = Now.AddSeconds(30);
        var third = PodConditions.Compute(pod, L(Exited("a", 0)), L(Running("x")), "Running", true, second, later);
        Assert.Equal(later, Get(third, "ContainersReady").LastTransitionTime);
        Assert.Equal(later, Get(third, "Ready").LastTransitionTime);
        Assert.Equal(Now, Get(third, "Initialized").LastTransitionTime);
    }

    [Fact]
    public void Only_the_status_decides_a_transition_not_reason_or_message()
    {
        var pod = Pod("Never", "", "x");
        var running = PodConditions.Compute(pod, L(), L(Running("x", ready: false)), "Running", true, [], Earlier);
        Assert.Equal("ContainersNotReady", Get(running, "Ready").Reason);
        var done = PodConditions.Compute(pod, L(), L(Exited("x", 0)), "Succeeded", true, running, Now);
        Assert.Equal("False|PodCompleted|", Show(Get(done, "Ready")));
        Assert.Equal(Earlier, Get(done, "Ready").LastTransitionTime);
        Assert.Equal(Earlier, Get(done, "ContainersReady").LastTransitionTime);
    }

    [Fact]
    public void A_condition_missing_from_previous_gets_now()
    {
        var pod = Pod("Always", "", "x");
        var previous = new[] { new PodCondition("Ready", "True", null, null, Earlier) };
        var cs = PodConditions.Compute(pod, L(), L(Running("x")), "Running", true, previous, Now);
        Assert.Equal(Earlier, Get(cs, "Ready").LastTransitionTime);
        Assert.Equal(Now, Get(cs, "ContainersReady").LastTransitionTime);
    }
}
