using PodShim.Runtime.Containers;
using PodShim.Runtime.Lifecycle;
using PodShim.Runtime.Probes;
using PodShim.Runtime.Recovery;
using PodShim.Runtime.Status;

namespace PodShim.UnitTests.Lifecycle;

/// <summary>
/// A supervisor killed at any point is replaced by one that restores the lifecycle from its checkpoint: the
/// restored lifecycle must go on exactly as the first would have (same attempts, restart counts, back-off
/// sequence, timers for what remained of them), after the checkpoint has been through its JSON file.
/// </summary>
public sealed class LifecycleRecoveryTests
{
    private static string PodYaml(string restartPolicy = "Always", string init = "", string apps = "  - name: app\n    image: busybox\n", string extra = "") =>
        $"apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  uid: u1\nspec:\n  restartPolicy: {restartPolicy}\n  terminationGracePeriodSeconds: 30\n{extra}" +
        (init.Length > 0 ? "  initContainers:\n" + init : "") + "  containers:\n" + apps;

    /// <summary>A second lifecycle for the same pod, at the same time, restored from the first one's checkpoint (through JSON).</summary>
    private static LifecycleHarness Recover(LifecycleHarness before, string yaml)
    {
        string saved = LifecycleCheckpoint.Serialize(before.Lifecycle.Snapshot());
        var after = new LifecycleHarness(yaml);
        after.Clock.Advance(before.Clock.GetUtcNow() - after.Clock.GetUtcNow());
        after.Lifecycle.Restore(LifecycleCheckpoint.Parse(saved));
        return after;
    }

    private static ContainerStatusInfo App(LifecycleHarness h, string name = "app") => h.Lifecycle.Status.ContainerStatuses.Single(c => c.Name == name);

    private static string StatusOf(LifecycleHarness h) => KubectlPrinter.Row(h.Pod, h.Lifecycle.Status, h.Clock.GetUtcNow()).Status;

    [Fact]
    public void The_checkpoint_survives_its_JSON_unchanged()
    {
        string yaml = PodYaml(init: "  - name: i1\n    image: busybox\n");
        var h = new LifecycleHarness(yaml);
        h.Start();
        h.Started("i1");
        h.Exited("i1", 1); // restarted at once (Always acts as OnFailure for init containers)
        h.Started("i1");
        h.Exited("i1", 1); // back-off 10 s
        h.Post(new TerminateRequested(TimeSpan.FromSeconds(7)));
        LifecycleSnapshot snapshot = h.Lifecycle.Snapshot();
        string once = LifecycleCheckpoint.Serialize(snapshot);
        string twice = LifecycleCheckpoint.Serialize(LifecycleCheckpoint.Parse(once));
        Assert.Equal(once, twice);
        ContainerSnapshot i1 = LifecycleCheckpoint.Parse(once).Container("i1")!;
        Assert.Equal(1, i1.Attempt);
        Assert.Equal(1, i1.RestartCount);
        Assert.Equal(1, i1.Last!.ExitCode);
        Assert.Equal(TimeSpan.FromSeconds(7), LifecycleCheckpoint.Parse(once).TerminationGrace);
    }

    [Fact]
    public void A_checkpoint_is_written_before_every_container_start()
    {
        var h = new LifecycleHarness(PodYaml());
        h.Lifecycle.Checkpoint += () => h.Runtime.Calls.Add($"checkpoint app#{h.Lifecycle.Snapshot().Container("app")!.Attempt}");
        h.Start();
        Assert.Equal(["checkpoint app#0", "start app#0", "checkpoint app#0"], h.TakeCalls());
        h.Started("app");
        Assert.Equal(["checkpoint app#0"], h.TakeCalls()); // after every batch of events
        h.Exited("app", 1);
        // The restart's attempt is on disk (in the checkpoint) before the runtime is asked to make it.
        Assert.Equal(["checkpoint app#1", "start app#1", "checkpoint app#1"], h.TakeCalls());
    }

    [Fact]
    public void A_back_off_goes_on_for_what_remained_of_it_and_the_sequence_continues()
    {
        string yaml = PodYaml();
        var h = new LifecycleHarness(yaml);
        h.Start();
        h.Started("app");
        h.Exited("app", 1); // immediate restart
        h.Started("app");
        h.Exited("app", 1); // back-off 10 s
        h.Advance(TimeSpan.FromSeconds(4));
        h.TakeCalls();

        LifecycleHarness r = Recover(h, yaml);
        Assert.Empty(r.TakeCalls());
        Assert.Equal("CrashLoopBackOff", StatusOf(r));
        Assert.Equal(1, App(r).RestartCount);
        r.Advance(TimeSpan.FromSeconds(6) - TimeSpan.FromMilliseconds(1));
        Assert.Empty(r.TakeCalls());
        r.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(["start app#2"], r.TakeCalls());
        Assert.Equal(2, App(r).RestartCount);
        // The next back-off is 20 s: the sequence was restored, not restarted.
        r.Started("app");
        r.Exited("app", 1);
        Assert.Equal("back-off 20s restarting failed container=app pod=p_default(u1)", Assert.IsType<WaitingState>(App(r).State).Message);
    }

    [Fact]
    public void A_running_container_is_taken_over_with_its_probes_and_readiness()
    {
        string apps = "  - name: app\n    image: busybox\n    readinessProbe:\n      exec:\n        command: [\"true\"]\n";
        string yaml = PodYaml(apps: apps);
        var h = new LifecycleHarness(yaml);
        h.Start();
        h.Started("app");
        h.Probe("app", ProbeKind.Readiness, true);
        Assert.True(App(h).Ready);

        LifecycleHarness r = Recover(h, yaml);
        Assert.Equal(["probes start app#0"], r.TakeCalls());
        Assert.True(App(r).Ready);
        Assert.Equal("Running", StatusOf(r));
        // Its exit, seen by the new supervisor, restarts it as before.
        r.Runtime.Attempts["app"] = 0;
        r.Exited("app", 2);
        Assert.Equal(["probes stop app#0", "start app#1"], r.TakeCalls());
        Assert.Equal(2, App(r).LastTerminated!.ExitCode);
        Assert.Equal(1, App(r).RestartCount);
    }

    [Fact]
    public void A_start_that_was_under_way_completes_with_the_events_the_new_supervisor_posts()
    {
        string yaml = PodYaml(init: "  - name: i1\n    image: busybox\n  - name: i2\n    image: busybox\n");
        var h = new LifecycleHarness(yaml);
        h.Start(); // i1#0 is being started: the checkpoint says Starting
        Assert.Equal(ContainerPhase.Starting, h.Lifecycle.Snapshot().Container("i1")!.Phase);

        LifecycleHarness r = Recover(h, yaml);
        Assert.Empty(r.TakeCalls());
        r.Runtime.Attempts["i1"] = 0;
        r.Started("i1");
        r.Exited("i1", 0);
        Assert.Equal(["start i2#0"], r.TakeCalls());
        Assert.Equal("Init:1/2", StatusOf(r));
    }

    [Fact]
    public void An_exit_that_happened_while_no_supervisor_watched_is_handled_as_it_would_have_been()
    {
        string yaml = PodYaml(restartPolicy: "Never");
        var h = new LifecycleHarness(yaml);
        h.Start();
        h.Started("app");
        LifecycleHarness r = Recover(h, yaml);
        r.Runtime.Attempts["app"] = 0;
        r.Post(new ContainerExited("app", 0, new ExitRecord(1, true, 3, 0, r.Clock.GetUtcNow(), r.Clock.GetUtcNow(), false)));
        Assert.True(r.Lifecycle.IsFinished);
        Assert.Equal("Failed", r.Lifecycle.Status.Phase);
        Assert.Equal(3, Assert.IsType<TerminatedState>(App(r).State).ExitCode);
    }

    [Fact]
    public void A_stop_in_progress_is_resumed_with_what_remained_of_the_grace()
    {
        string yaml = PodYaml();
        var h = new LifecycleHarness(yaml);
        h.Start();
        h.Started("app");
        h.Post(new TerminateRequested(null));
        h.Advance(TimeSpan.FromSeconds(10));
        h.TakeCalls();

        LifecycleHarness r = Recover(h, yaml);
        // The stop signal again (harmless), SIGKILL when the 30 s grace runs out, not 30 s from now.
        Assert.Equal(["signal 15 app#0"], r.TakeCalls());
        Assert.Equal("Terminating", StatusOf(r));
        r.Advance(TimeSpan.FromSeconds(20) - TimeSpan.FromMilliseconds(1));
        Assert.Empty(r.TakeCalls());
        r.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(["signal 9 app#0"], r.TakeCalls());
    }

    [Fact]
    public void The_active_deadline_keeps_counting_from_the_pod_start()
    {
        string yaml = PodYaml(extra: "  activeDeadlineSeconds: 60\n");
        var h = new LifecycleHarness(yaml);
        h.Start();
        h.Started("app");
        h.Advance(TimeSpan.FromSeconds(45));
        LifecycleHarness r = Recover(h, yaml);
        r.TakeCalls();
        r.Advance(TimeSpan.FromSeconds(15) - TimeSpan.FromMilliseconds(1));
        Assert.Empty(r.TakeCalls());
        r.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(["signal 15 app#0"], r.TakeCalls());
        Assert.Equal("DeadlineExceeded", r.Lifecycle.Status.Reason);
    }

    [Fact]
    public void A_finished_pod_stays_finished()
    {
        string yaml = PodYaml(restartPolicy: "Never");
        var h = new LifecycleHarness(yaml);
        h.Start();
        h.Started("app");
        h.Exited("app", 0);
        Assert.True(h.Lifecycle.IsFinished);
        LifecycleHarness r = Recover(h, yaml);
        Assert.True(r.Lifecycle.IsFinished);
        Assert.Empty(r.TakeCalls());
        Assert.Equal("Succeeded", r.Lifecycle.Status.Phase);
        Assert.Equal(h.Lifecycle.Status.Conditions, r.Lifecycle.Status.Conditions);
    }

    [Fact]
    public void Restoring_a_started_lifecycle_is_refused()
    {
        var h = new LifecycleHarness(PodYaml());
        h.Start();
        Assert.Throws<InvalidOperationException>(() => h.Lifecycle.Restore(h.Lifecycle.Snapshot()));
    }

    [Fact]
    public void A_damaged_checkpoint_is_a_format_error()
    {
        Assert.Throws<FormatException>(() => LifecycleCheckpoint.Parse("{\"version\": 1, \"containers\": [{}]}"));
        Assert.Throws<FormatException>(() => LifecycleCheckpoint.Parse("{\"version\": 99}"));
        Assert.Throws<FormatException>(() => LifecycleCheckpoint.Parse("{\"vers"));
    }
}
