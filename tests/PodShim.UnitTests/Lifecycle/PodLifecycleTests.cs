using PodShim.Runtime.Lifecycle;
using PodShim.Runtime.Status;

namespace PodShim.UnitTests.Lifecycle;

/// <summary>Every timing and ordering rule of pod-semantics.md, on a fake clock.</summary>
public sealed class PodLifecycleTests
{
    private static string PodYaml(string restartPolicy = "Always", string init = "", string apps = "  - name: app\n    image: busybox\n", string extra = "") =>
        $"apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  uid: u1\nspec:\n  restartPolicy: {restartPolicy}\n  terminationGracePeriodSeconds: 30\n{extra}" +
        (init.Length > 0 ? "  initContainers:\n" + init : "") + "  containers:\n" + apps;

    private const string TwoInits = "  - name: i1\n    image: busybox\n  - name: i2\n    image: busybox\n";
    private const string TwoApps = "  - name: a1\n    image: busybox\n  - name: a2\n    image: busybox\n";

    private static string StatusOf(LifecycleHarness h) =>
        KubectlPrinter.Row(h.Pod, h.Lifecycle.Status, h.Clock.GetUtcNow()).Status;

    private static ContainerStatusInfo App(LifecycleHarness h, string name) => h.Lifecycle.Status.ContainerStatuses.Single(c => c.Name == name);
    private static ContainerStatusInfo Init(LifecycleHarness h, string name) => h.Lifecycle.Status.InitContainerStatuses.Single(c => c.Name == name);

    // ---- the transition table ----

    [Theory]
    [InlineData(ContainerPhase.Waiting, ContainerPhase.Running)]
    [InlineData(ContainerPhase.Waiting, ContainerPhase.Exited)]
    [InlineData(ContainerPhase.Done, ContainerPhase.Starting)]
    [InlineData(ContainerPhase.Running, ContainerPhase.Starting)]
    [InlineData(ContainerPhase.Stopping, ContainerPhase.Running)]
    [InlineData(ContainerPhase.BackOff, ContainerPhase.Running)]
    public void Illegal_transitions_are_errors(ContainerPhase from, ContainerPhase to)
    {
        Assert.False(ContainerMachine.IsAllowed(from, to));
        var m = new ContainerMachine("c");
        // walk to `from` through legal moves, then try the illegal one
        ContainerPhase[] path = from switch
        {
            ContainerPhase.Waiting => [],
            ContainerPhase.Running => [ContainerPhase.Starting, ContainerPhase.Running],
            ContainerPhase.Stopping => [ContainerPhase.Starting, ContainerPhase.Running, ContainerPhase.Stopping],
            ContainerPhase.BackOff => [ContainerPhase.Starting, ContainerPhase.Exited, ContainerPhase.BackOff],
            ContainerPhase.Done => [ContainerPhase.Done],
            _ => throw new ArgumentOutOfRangeException(nameof(from)),
        };
        foreach (ContainerPhase p in path)
            m.MoveTo(p);
        var e = Assert.Throws<IllegalTransitionException>(() => m.MoveTo(to));
        Assert.Contains($"{from} -> {to}", e.Message);
    }

    [Fact]
    public void An_event_for_an_unknown_container_is_an_error()
    {
        var h = new LifecycleHarness(PodYaml());
        h.Start();
        h.Lifecycle.Post(new ContainerStarted("nope", 0, h.Clock.GetUtcNow()));
        Assert.Throws<ArgumentException>(() => h.Lifecycle.HandlePending());
    }

    // ---- ordering ----

    [Fact]
    public void Init_containers_run_one_at_a_time_then_apps_one_after_another()
    {
        var h = new LifecycleHarness(PodYaml("Always", TwoInits, TwoApps));
        h.Start();
        Assert.Equal(["start i1#0"], h.TakeCalls());
        Assert.Equal("Init:0/2", StatusOf(h));
        Assert.Equal("Pending", h.Lifecycle.Status.Phase);

        h.Started("i1");
        Assert.Empty(h.TakeCalls());
        Assert.False(Init(h, "i1").Ready); // a running init container is not ready
        h.Exited("i1", 0);
        Assert.Equal(["start i2#0"], h.TakeCalls());
        Assert.Equal("Init:1/2", StatusOf(h));
        Assert.True(Init(h, "i1").Ready);

        h.Started("i2");
        Assert.Equal("Init:1/2", StatusOf(h));
        h.Exited("i2", 0);
        Assert.Equal(["start a1#0"], h.TakeCalls());
        Assert.Equal("PodInitializing", StatusOf(h));

        h.Started("a1");
        Assert.Equal(["start a2#0"], h.TakeCalls());
        h.Started("a2");
        Assert.Equal("Running", StatusOf(h));
        Assert.Equal("Running", h.Lifecycle.Status.Phase);
        Assert.Equal("2/2", KubectlPrinter.Row(h.Pod, h.Lifecycle.Status, h.Clock.GetUtcNow()).Ready);
    }

    [Fact]
    public void The_next_app_container_starts_only_after_the_postStart_hook_returned()
    {
        string apps = "  - name: a1\n    image: busybox\n    lifecycle:\n      postStart:\n        exec:\n          command: [\"true\"]\n  - name: a2\n    image: busybox\n";
        var h = new LifecycleHarness(PodYaml(apps: apps));
        h.Start();
        h.TakeCalls();
        h.Started("a1");
        Assert.Equal(["hook PostStart a1#0"], h.TakeCalls());
        Assert.False(App(h, "a1").Started);
        h.Hook("a1", HookKind.PostStart);
        Assert.Equal(["start a2#0"], h.TakeCalls());
        Assert.True(App(h, "a1").Ready);
    }

    [Fact]
    public void A_failed_postStart_hook_kills_the_container_and_restarts_it()
    {
        string apps = "  - name: a\n    image: busybox\n    lifecycle:\n      postStart:\n        exec:\n          command: [\"false\"]\n";
        var h = new LifecycleHarness(PodYaml(apps: apps));
        h.Start();
        h.Started("a");
        h.TakeCalls();
        h.Hook("a", HookKind.PostStart, success: false, message: "exit status 1");
        Assert.Equal(["signal 15 a#0"], h.TakeCalls());
        Assert.Contains(h.Events.Events, e => e.Reason == "FailedPostStartHook" && e.Type == "Warning");
        h.Exited("a", 0); // the kill's outcome does not matter: a postStart failure is a failure
        Assert.Equal(["start a#1"], h.TakeCalls());
        Assert.Equal(1, App(h, "a").RestartCount);
    }

    // ---- restart policy and back-off ----

    [Theory]
    [InlineData("Always", 0, true)]
    [InlineData("Always", 1, true)]
    [InlineData("OnFailure", 0, false)]
    [InlineData("OnFailure", 1, true)]
    [InlineData("Never", 0, false)]
    [InlineData("Never", 1, false)]
    public void App_containers_restart_per_policy(string policy, int exitCode, bool restarted)
    {
        var h = new LifecycleHarness(PodYaml(policy));
        h.Start();
        h.Started("app");
        h.TakeCalls();
        h.Exited("app", exitCode);
        Assert.Equal(restarted ? ["start app#1"] : [], h.TakeCalls()); // the first restart is immediate
        Assert.Equal(!restarted, h.Lifecycle.IsFinished);
        if (!restarted)
            Assert.Equal(exitCode == 0 ? "Succeeded" : "Failed", h.Lifecycle.Status.Phase);
    }

    [Fact]
    public void Back_off_is_0_10_20_40_80_160_300_300_seconds()
    {
        var h = new LifecycleHarness(PodYaml());
        h.Start();
        h.Started("app");
        h.Exited("app", 1);
        h.TakeCalls();
        // kubelet prints the delay as Go's time.Duration does.
        (int Seconds, string Text)[] expected = [(10, "10s"), (20, "20s"), (40, "40s"), (80, "1m20s"), (160, "2m40s"), (300, "5m0s"), (300, "5m0s")];
        foreach (var (seconds, text) in expected)
        {
            h.Started("app");
            h.Exited("app", 1);
            Assert.Empty(h.TakeCalls());
            Assert.Equal("CrashLoopBackOff", StatusOf(h));
            var waiting = Assert.IsType<WaitingState>(App(h, "app").State);
            Assert.Equal($"back-off {text} restarting failed container=app pod=p_default(u1)", waiting.Message);
            Assert.IsType<TerminatedState>(App(h, "app").LastState);
            h.Advance(TimeSpan.FromSeconds(seconds) - TimeSpan.FromMilliseconds(1));
            Assert.Empty(h.TakeCalls());
            h.Advance(TimeSpan.FromMilliseconds(1));
            Assert.Single(h.TakeCalls());
        }
        Assert.Equal(8, App(h, "app").RestartCount);
    }

    [Fact]
    public void Exit_0_under_Always_is_backed_off_too()
    {
        var h = new LifecycleHarness(PodYaml());
        h.Start();
        h.Started("app");
        h.Exited("app", 0);
        h.Started("app");
        h.TakeCalls();
        h.Exited("app", 0);
        Assert.Empty(h.TakeCalls());
        Assert.Equal("CrashLoopBackOff", StatusOf(h));
    }

    [Fact]
    public void Back_off_resets_after_ten_minutes_of_running()
    {
        var h = new LifecycleHarness(PodYaml());
        h.Start();
        h.Started("app");
        h.Exited("app", 1);
        h.Started("app");
        h.Exited("app", 1); // back-off 10 s
        h.Advance(TimeSpan.FromSeconds(10));
        h.Started("app");
        h.TakeCalls();
        h.Advance(TimeSpan.FromSeconds(601));
        h.Exited("app", 1);
        Assert.Equal(["start app#3"], h.TakeCalls()); // immediate again
    }

    [Fact]
    public void A_failed_init_container_under_Never_fails_the_pod()
    {
        var h = new LifecycleHarness(PodYaml("Never", TwoInits));
        h.Start();
        h.Started("i1");
        h.TakeCalls();
        h.Exited("i1", 3);
        Assert.Empty(h.TakeCalls());
        Assert.True(h.Lifecycle.IsFinished);
        Assert.Equal("Failed", h.Lifecycle.Status.Phase);
        Assert.Equal("Init:Error", StatusOf(h));
    }

    [Theory]
    [InlineData("Always")]
    [InlineData("OnFailure")]
    public void A_failed_init_container_restarts_with_back_off_under_Always_and_OnFailure(string policy)
    {
        var h = new LifecycleHarness(PodYaml(policy, TwoInits));
        h.Start();
        h.Started("i1");
        h.Exited("i1", 1);
        Assert.Equal(["start i1#0", "start i1#1"], h.TakeCalls());
        h.Started("i1");
        h.Exited("i1", 1);
        Assert.Equal("Init:CrashLoopBackOff", StatusOf(h));
        h.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(["start i1#2"], h.TakeCalls());
        h.Started("i1");
        h.Exited("i1", 0);
        Assert.Equal(["start i2#0"], h.TakeCalls()); // a completed init container is never rerun
    }

    // ---- sidecars ----

    private const string SidecarInits =
        "  - name: s1\n    image: busybox\n    restartPolicy: Always\n  - name: i1\n    image: busybox\n  - name: s2\n    image: busybox\n    restartPolicy: Always\n";

    [Fact]
    public void The_next_init_container_starts_once_a_sidecar_is_started_and_sidecars_stop_last_in_reverse_order()
    {
        var h = new LifecycleHarness(PodYaml("Never", SidecarInits));
        h.Start();
        Assert.Equal(["start s1#0"], h.TakeCalls());
        h.Started("s1");
        Assert.Equal(["start i1#0"], h.TakeCalls());
        h.Started("i1");
        h.Exited("i1", 0);
        Assert.Equal(["start s2#0"], h.TakeCalls());
        h.Started("s2");
        Assert.Equal(["start app#0"], h.TakeCalls());
        h.Started("app");
        Assert.Equal("3/3", KubectlPrinter.Row(h.Pod, h.Lifecycle.Status, h.Clock.GetUtcNow()).Ready);

        // A sidecar restarts on any exit, whatever the pod's policy.
        h.Exited("s1", 0);
        Assert.Equal(["start s1#1"], h.TakeCalls());
        h.Started("s1");

        h.Exited("app", 0);
        Assert.Equal(["signal 15 s2#0"], h.TakeCalls());
        h.Exited("s2", 143);
        Assert.Equal(["signal 15 s1#1"], h.TakeCalls());
        h.Exited("s1", 143);
        Assert.True(h.Lifecycle.IsFinished);
        Assert.Equal("Succeeded", h.Lifecycle.Status.Phase); // sidecars' exits do not count
    }

    // ---- termination ----

    private const string AppWithPreStop = "  - name: app\n    image: busybox\n    lifecycle:\n      preStop:\n        exec:\n          command: [\"sleep\", \"5\"]\n";

    [Fact]
    public void Termination_runs_preStop_then_the_stop_signal_with_the_rest_of_the_grace_then_SIGKILL()
    {
        var h = new LifecycleHarness(PodYaml(apps: AppWithPreStop));
        h.Start();
        h.Started("app");
        h.TakeCalls();
        h.Post(new TerminateRequested(null));
        Assert.Equal(["hook PreStop app#0"], h.TakeCalls());
        Assert.Equal("Terminating", StatusOf(h));
        h.Advance(TimeSpan.FromSeconds(10));
        h.Hook("app", HookKind.PreStop);
        Assert.Equal(["signal 15 app#0"], h.TakeCalls());
        h.Advance(TimeSpan.FromSeconds(20) - TimeSpan.FromMilliseconds(1));
        Assert.Empty(h.TakeCalls());
        h.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(["signal 9 app#0"], h.TakeCalls());
        h.Exited("app", 137, 9);
        Assert.True(h.Lifecycle.IsFinished);
        Assert.Equal("Failed", h.Lifecycle.Status.Phase);
        Assert.Contains(h.Events.Events, e => e.Reason == "Killing");
    }

    [Fact]
    public void A_preStop_hook_that_outlives_the_grace_period_still_gets_two_seconds_of_stop_signal()
    {
        var h = new LifecycleHarness(PodYaml(apps: AppWithPreStop));
        h.Start();
        h.Started("app");
        h.TakeCalls();
        h.Post(new TerminateRequested(TimeSpan.FromSeconds(5)));
        Assert.Equal(["hook PreStop app#0"], h.TakeCalls());
        h.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(["signal 15 app#0"], h.TakeCalls());
        h.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(["signal 9 app#0"], h.TakeCalls());
    }

    [Fact]
    public void Grace_zero_skips_preStop()
    {
        var h = new LifecycleHarness(PodYaml(apps: AppWithPreStop));
        h.Start();
        h.Started("app");
        h.TakeCalls();
        h.Post(new TerminateRequested(TimeSpan.Zero));
        Assert.Equal(["signal 15 app#0"], h.TakeCalls());
        h.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(["signal 9 app#0"], h.TakeCalls());
    }

    [Fact]
    public void A_container_that_exits_on_the_stop_signal_is_not_killed_and_not_restarted()
    {
        var h = new LifecycleHarness(PodYaml("Always"));
        h.Start();
        h.Started("app");
        h.TakeCalls();
        h.Post(new TerminateRequested(TimeSpan.FromSeconds(30)));
        h.Exited("app", 0);
        h.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(["signal 15 app#0"], h.TakeCalls());
        Assert.True(h.Lifecycle.IsFinished);
        Assert.Equal("Succeeded", h.Lifecycle.Status.Phase);
    }

    [Fact]
    public void The_active_deadline_counts_from_pod_start_including_init_time()
    {
        var h = new LifecycleHarness(PodYaml("Always", TwoInits, extra: "  activeDeadlineSeconds: 60\n"));
        h.Start();
        h.Started("i1");
        h.Advance(TimeSpan.FromSeconds(40));
        h.Exited("i1", 0);
        h.Started("i2");
        h.TakeCalls();
        h.Advance(TimeSpan.FromSeconds(20));
        Assert.Equal(["signal 15 i2#0"], h.TakeCalls());
        h.Exited("i2", 143, 15);
        Assert.True(h.Lifecycle.IsFinished);
        Assert.Equal("Failed", h.Lifecycle.Status.Phase);
        Assert.Equal("DeadlineExceeded", h.Lifecycle.Status.Reason);
        Assert.Equal(PodLifecycle.DeadlineMessage, h.Lifecycle.Status.Message);
        Assert.Equal("Init:Error", StatusOf(h)); // kubectl lets the killed init container's reason win
        Assert.All(h.Lifecycle.Status.ContainerStatuses, c => Assert.IsType<WaitingState>(c.State)); // the app never started
    }

    // ---- sandbox loss ----

    [Fact]
    public void A_lost_sandbox_stops_everything_and_the_pod_starts_over_from_its_init_containers()
    {
        var h = new LifecycleHarness(PodYaml("Always", "  - name: i1\n    image: busybox\n"));
        h.Start();
        h.Started("i1");
        h.Exited("i1", 0);
        h.Started("app");
        h.TakeCalls();
        h.Post(new SandboxLost());
        Assert.Equal(["signal 15 app#0"], h.TakeCalls());
        h.Exited("app", 143, 15);
        Assert.Equal(["recreate sandbox"], h.TakeCalls());
        h.Post(new SandboxReady());
        Assert.Equal(["start i1#1"], h.TakeCalls());
        Assert.Equal("Init:0/1", StatusOf(h));
    }
}
