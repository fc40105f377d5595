using PodShim.Runtime.Status;
using static PodShim.UnitTests.Status.F;

namespace PodShim.UnitTests.Status;

public class PodPhaseTests
{
    public static TheoryData<string, string, string, ContainerStatusInfo[], ContainerStatusInfo[], bool, string> Cases => new()
    {
        // label, policy, inits, init statuses, app statuses, podIsTerminal, expected
        { "no status yet", "Always", "i1,i2", L(), L(), false, "Pending" },
        { "init waiting", "Always", "i1", L(Waiting("i1", "PodInitializing")), L(Waiting("app", "PodInitializing")), false, "Pending" },
        { "init running", "Never", "i1", L(Running("i1")), L(Waiting("app", "PodInitializing")), false, "Pending" },
        { "first init done, second pending", "Never", "i1,i2", L(Exited("i1", 0), Waiting("i2", "PodInitializing")), L(Waiting("app", "PodInitializing")), false, "Pending" },
        { "init failed, Never", "Never", "i1", L(Exited("i1", 1)), L(Waiting("app", "PodInitializing")), false, "Failed" },
        { "init failed, OnFailure", "OnFailure", "i1", L(Exited("i1", 1)), L(Waiting("app", "PodInitializing")), false, "Pending" },
        { "init failed, Always", "Always", "i1", L(Exited("i1", 1)), L(Waiting("app", "PodInitializing")), false, "Pending" },
        { "init back-off after failure, Never", "Never", "i1", L(BackOff("i1", 2)), L(Waiting("app", "PodInitializing")), false, "Failed" },
        { "init back-off after failure, OnFailure", "OnFailure", "i1", L(BackOff("i1", 2)), L(Waiting("app", "PodInitializing")), false, "Pending" },
        { "init back-off after failure, Always", "Always", "i1", L(BackOff("i1", 2)), L(Waiting("app", "PodInitializing")), false, "Pending" },
        { "init OOMKilled, Never", "Never", "i1", L(Exited("i1", 137, "OOMKilled")), L(Waiting("app", "PodInitializing")), false, "Failed" },
        { "second init failed, Never", "Never", "i1,i2", L(Exited("i1", 0), Exited("i2", 3)), L(Waiting("app", "PodInitializing")), false, "Failed" },
        { "inits done, app creating", "Always", "i1", L(Exited("i1", 0)), L(Waiting("app", "ContainerCreating")), false, "Pending" },
        { "app running", "Always", "i1", L(Exited("i1", 0)), L(Running("app")), false, "Running" },
        { "app running unready", "Never", "", L(), L(Running("app", ready: false)), false, "Running" },
        { "one running one exited 1, Never", "Never", "", L(), L(Running("a"), Exited("b", 1)), false, "Running" },
        { "one running one waiting fresh", "Always", "", L(), L(Running("a"), Waiting("b", "ContainerCreating")), false, "Pending" },
        { "all exited 0, Never", "Never", "", L(), L(Exited("a", 0), Exited("b", 0)), false, "Succeeded" },
        { "all exited 0, OnFailure", "OnFailure", "", L(), L(Exited("a", 0), Exited("b", 0)), false, "Succeeded" },
        { "all exited 0, Always", "Always", "", L(), L(Exited("a", 0), Exited("b", 0)), false, "Running" },
        { "one failed, Never", "Never", "", L(), L(Exited("a", 0), Exited("b", 1)), false, "Failed" },
        { "one failed, OnFailure", "OnFailure", "", L(), L(Exited("a", 0), Exited("b", 1)), false, "Running" },
        { "one failed, Always", "Always", "", L(), L(Exited("a", 0), Exited("b", 1)), false, "Running" },
        { "app back-off after exit 1, OnFailure", "OnFailure", "", L(), L(BackOff("a", 1)), false, "Running" },
        { "app back-off after exit 0, Always", "Always", "", L(), L(BackOff("a", 0)), false, "Running" },
        { "terminal, Always, all exited 0", "Always", "", L(), L(Exited("a", 0), Exited("b", 0)), true, "Succeeded" },
        { "terminal, Always, one exited 137", "Always", "", L(), L(Exited("a", 0), Exited("b", 137)), true, "Failed" },
        { "terminal, OnFailure, one failed", "OnFailure", "", L(), L(Exited("a", 1)), true, "Failed" },
        { "terminal but still running", "Always", "", L(), L(Running("a")), true, "Running" },
        { "app status missing", "Always", "i1", L(Exited("i1", 0)), L(), false, "Pending" },
        { "one app status missing, other running", "Always", "", L(), L(Running("a")), false, "Pending" },
        // sidecars
        { "sidecar running, not started", "Always", "s:side", L(Running("side", ready: false, started: false)), L(Waiting("app", "PodInitializing")), false, "Pending" },
        { "sidecar started, app creating", "Always", "s:side", L(Running("side")), L(Waiting("app", "ContainerCreating")), false, "Pending" },
        { "sidecar started, next init running", "Never", "s:side,i1", L(Running("side"), Running("i1")), L(Waiting("app", "PodInitializing")), false, "Pending" },
        { "sidecar and app running", "Never", "s:side", L(Running("side")), L(Running("app")), false, "Running" },
        { "sidecar still running after apps succeeded", "Never", "s:side", L(Running("side")), L(Exited("app", 0)), false, "Running" },
        { "sidecar exited 1 after apps succeeded, Never", "Never", "s:side", L(Exited("side", 1)), L(Exited("app", 0)), false, "Succeeded" },
        { "sidecar exited 0, app failed, Never", "Never", "s:side", L(Exited("side", 0)), L(Exited("app", 2)), false, "Failed" },
        { "sidecar crash-looping, app running", "Never", "s:side", L(BackOff("side", 1)), L(Running("app")), false, "Running" },
        { "sidecar back-off, apps all done, OnFailure", "OnFailure", "s:side", L(BackOff("side", 1)), L(Exited("app", 0)), false, "Succeeded" },
        { "sidecar restarted not started, app running", "Always", "s:side", L(Running("side", ready: false, started: false, restarts: 1)), L(Running("app")), false, "Running" },
        { "sidecar status missing", "Always", "s:side", L(), L(Running("app")), false, "Pending" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Phase(string label, string policy, string inits, ContainerStatusInfo[] init, ContainerStatusInfo[] apps, bool terminal, string expected)
    {
        var appNames = label switch
        {
            "one app status missing, other running" => "a,b",
            _ => string.Join(',', apps.Select(a => a.Name).DefaultIfEmpty("app")),
        };
        var pod = Pod(policy, inits, appNames);
        Assert.Equal(expected, PodPhase.Compute(pod, init, apps, terminal));
    }

    [Fact]
    public void Restarting_sidecar_does_not_put_an_initialized_pod_back_to_pending()
    {
        var pod = Pod("Always", "s:side", "app");
        var side = L(Running("side", ready: false, started: false, restarts: 1));
        var apps = L(Running("app"));
        Assert.Equal("Pending", PodPhase.Compute(pod, side, apps, podIsTerminal: false, podHasInitialized: false));
        Assert.Equal("Running", PodPhase.Compute(pod, side, apps, podIsTerminal: false, podHasInitialized: true));
    }

    [Theory]
    [InlineData("Succeeded", "Running", "Succeeded")]
    [InlineData("Failed", "Pending", "Failed")]
    [InlineData("Running", "Failed", "Failed")]
    [InlineData("Pending", "Running", "Running")]
    [InlineData("Succeeded", "Failed", "Succeeded")]
    public void Terminal_phase_is_never_left(string previous, string computed, string expected) =>
        Assert.Equal(expected, PodPhase.KeepTerminal(previous, computed));
}
