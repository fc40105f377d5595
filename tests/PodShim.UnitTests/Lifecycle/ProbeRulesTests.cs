using PodShim.Runtime.Lifecycle;
using PodShim.Runtime.Probes;
using PodShim.Runtime.Status;

namespace PodShim.UnitTests.Lifecycle;

/// <summary>What probe results do to a container (pod-semantics.md, Probes), on a fake clock.</summary>
public sealed class ProbeRulesTests
{
    private static string Pod(string policy, string probes, string init = "") =>
        $"apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  uid: u1\nspec:\n  restartPolicy: {policy}\n  terminationGracePeriodSeconds: 30\n" +
        (init.Length > 0 ? "  initContainers:\n" + init : "") +
        "  containers:\n  - name: app\n    image: busybox\n" + probes;

    private const string Readiness = "    readinessProbe:\n      tcpSocket:\n        port: 80\n";
    private const string Liveness = "    livenessProbe:\n      tcpSocket:\n        port: 80\n";
    private const string LivenessWithGrace = "    livenessProbe:\n      terminationGracePeriodSeconds: 3\n      tcpSocket:\n        port: 80\n";

    private static string Ready(LifecycleHarness h) => KubectlPrinter.Row(h.Pod, h.Lifecycle.Status, h.Clock.GetUtcNow()).Ready;

    [Fact]
    public void Readiness_only_sets_Ready_and_never_restarts()
    {
        var h = new LifecycleHarness(Pod("Always", Readiness));
        h.Start();
        h.Started("app");
        Assert.Equal(["start app#0", "probes start app#0"], h.TakeCalls());
        Assert.Equal("0/1", Ready(h)); // readiness starts as Failure
        h.Probe("app", ProbeKind.Readiness, true);
        Assert.Equal("1/1", Ready(h));
        h.Probe("app", ProbeKind.Readiness, false, "HTTP probe failed with statuscode: 404");
        Assert.Equal("0/1", Ready(h));
        Assert.Empty(h.TakeCalls());
        Assert.Equal("Running", h.Lifecycle.Status.Phase);
    }

    [Fact]
    public void A_failed_liveness_probe_kills_the_container_and_it_is_restarted()
    {
        var h = new LifecycleHarness(Pod("Always", Liveness));
        h.Start();
        h.Started("app");
        h.TakeCalls();
        Assert.Equal("1/1", Ready(h)); // no readiness probe: ready once started
        h.Probe("app", ProbeKind.Liveness, false, "dial tcp 127.0.0.1:80: connect: connection refused");
        Assert.Equal(["probes stop app#0", "signal 15 app#0"], h.TakeCalls());
        Assert.Contains(h.Events.Events, e => e.Reason == "Killing" && e.Message == "Container app failed liveness probe, will be restarted");
        h.Exited("app", 143, 15);
        Assert.Equal(["start app#1"], h.TakeCalls());
        h.Started("app");
        Assert.Equal(["probes start app#1"], h.TakeCalls());
        Assert.Equal(1, h.Lifecycle.Status.ContainerStatuses[0].RestartCount);
    }

    [Fact]
    public void A_liveness_kill_uses_the_probes_grace_period()
    {
        var h = new LifecycleHarness(Pod("Always", LivenessWithGrace));
        h.Start();
        h.Started("app");
        h.TakeCalls();
        h.Probe("app", ProbeKind.Liveness, false);
        Assert.Equal(["probes stop app#0", "signal 15 app#0"], h.TakeCalls());
        h.Advance(TimeSpan.FromSeconds(3) - TimeSpan.FromMilliseconds(1));
        Assert.Empty(h.TakeCalls());
        h.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(["signal 9 app#0"], h.TakeCalls()); // not the pod's 30 s
    }

    [Fact]
    public void A_liveness_kill_under_Never_is_not_restarted_and_the_pod_fails()
    {
        var h = new LifecycleHarness(Pod("Never", Liveness));
        h.Start();
        h.Started("app");
        h.Probe("app", ProbeKind.Liveness, false);
        h.Exited("app", 0); // even a clean exit after a liveness kill is a failure of the run
        h.TakeCalls();
        Assert.True(h.Lifecycle.IsFinished);
        Assert.Equal("Succeeded", h.Lifecycle.Status.Phase); // the phase follows the exit codes
    }

    [Fact]
    public void A_startup_probe_holds_back_started_and_ready()
    {
        var h = new LifecycleHarness(Pod("Always", "    startupProbe:\n      tcpSocket:\n        port: 80\n"));
        h.Start();
        h.Started("app");
        h.TakeCalls();
        Assert.False(h.Lifecycle.Status.ContainerStatuses[0].Started);
        Assert.Equal("0/1", Ready(h));
        h.Probe("app", ProbeKind.Startup, true);
        Assert.True(h.Lifecycle.Status.ContainerStatuses[0].Started);
        Assert.Equal("1/1", Ready(h));
    }

    [Fact]
    public void A_failed_startup_probe_kills_and_restarts()
    {
        var h = new LifecycleHarness(Pod("OnFailure", "    startupProbe:\n      tcpSocket:\n        port: 80\n"));
        h.Start();
        h.Started("app");
        h.TakeCalls();
        h.Probe("app", ProbeKind.Startup, false);
        Assert.Contains(h.Events.Events, e => e.Message == "Container app failed startup probe, will be restarted");
        h.Exited("app", 0); // OnFailure still restarts: the run failed its probe
        Assert.Equal(["probes stop app#0", "signal 15 app#0", "start app#1"], h.TakeCalls());
    }

    [Fact]
    public void The_next_init_container_waits_for_a_sidecars_startup_probe()
    {
        string init = "  - name: side\n    image: busybox\n    restartPolicy: Always\n    startupProbe:\n      tcpSocket:\n        port: 80\n" +
                      "  - name: setup\n    image: busybox\n";
        var h = new LifecycleHarness(Pod("Always", "", init));
        h.Start();
        h.Started("side");
        Assert.Equal(["start side#0", "probes start side#0"], h.TakeCalls());
        Assert.Equal("Init:0/2", KubectlPrinter.Row(h.Pod, h.Lifecycle.Status, h.Clock.GetUtcNow()).Status);
        h.Probe("side", ProbeKind.Startup, true);
        Assert.Equal(["start setup#0"], h.TakeCalls());
    }

    [Fact]
    public void Results_for_an_old_attempt_are_ignored()
    {
        var h = new LifecycleHarness(Pod("Always", Liveness));
        h.Start();
        h.Started("app");
        h.Exited("app", 1);
        h.Started("app");
        h.TakeCalls();
        h.Post(new ProbeChanged("app", 0, ProbeKind.Liveness, false, "late"));
        Assert.Empty(h.TakeCalls());
    }
}
