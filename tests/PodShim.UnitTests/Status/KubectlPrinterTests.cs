using PodShim.Runtime.Status;
using static PodShim.UnitTests.Status.F;

namespace PodShim.UnitTests.Status;

public class KubectlPrinterTests
{
    private static readonly DateTimeOffset Start = Now - TimeSpan.FromSeconds(200);

    private static readonly PodCondition[] InitializedTrue = [new("Initialized", "True", null, null, Start)];
    private static readonly PodCondition[] ReadyTrue = [new("Initialized", "True", null, null, Start), new("Ready", "True", null, null, Start)];

    private static ContainerStatusInfo Ret(ContainerStatusInfo s, int restarts, TimeSpan ago) =>
        s with { RestartCount = restarts, LastState = Term(1, ago) };

    private sealed class RowTable : List<object?[]>
    {
        public void Add(string label, string inits, string apps, string phase, ContainerStatusInfo[] init, ContainerStatusInfo[] app,
            PodCondition[] conditions, string? reason, bool deleting, string ready, string status, string restarts) =>
            Add([label, inits, apps, phase, init, app, conditions, reason, deleting, ready, status, restarts]);
    }

    public static IEnumerable<object?[]> Rows => new RowTable
    {
        // label, inits, apps, phase, init statuses, app statuses, conditions, pod reason, deleting, READY, STATUS, RESTARTS
        { "waiting for first init", "i1,i2", "app", "Pending", L(Waiting("i1", "PodInitializing"), Waiting("i2", "PodInitializing")), L(Waiting("app", "PodInitializing")), [], null, false, "0/1", "Init:0/2", "0" },
        { "first init running", "i1,i2", "app", "Pending", L(Running("i1", ready: false), Waiting("i2", "PodInitializing")), L(Waiting("app", "PodInitializing")), [], null, false, "0/1", "Init:0/2", "0" },
        { "second init running", "i1,i2", "app", "Pending", L(Exited("i1", 0), Running("i2", ready: false)), L(Waiting("app", "PodInitializing")), [], null, false, "0/1", "Init:1/2", "0" },
        { "init creating", "i1,i2", "app", "Pending", L(Waiting("i1", "ContainerCreating"), Waiting("i2", "PodInitializing")), L(Waiting("app", "PodInitializing")), [], null, false, "0/1", "Init:ContainerCreating", "0" },
        { "init failed", "i1,i2", "app", "Failed", L(Exited("i1", 1), Waiting("i2", "PodInitializing")), L(Waiting("app", "PodInitializing")), [], null, false, "0/1", "Init:Error", "0" },
        { "init crash loop", "i1", "app", "Pending", L(BackOff("i1", 1, restarts: 3, finishedAgo: TimeSpan.FromSeconds(45))), L(Waiting("app", "PodInitializing")), [], null, false, "0/1", "Init:CrashLoopBackOff", "3 (45s ago)" },
        { "init OOMKilled", "i1", "app", "Failed", L(Exited("i1", 137, "OOMKilled")), L(Waiting("app", "PodInitializing")), [], null, false, "0/1", "Init:OOMKilled", "0" },
        { "init killed by signal, no reason", "i1", "app", "Failed", L(Exited("i1", 137, "", signal: 9)), L(Waiting("app", "PodInitializing")), [], null, false, "0/1", "Init:Signal:9", "0" },
        { "init exit code, no reason", "i1", "app", "Failed", L(Exited("i1", 2, "")), L(Waiting("app", "PodInitializing")), [], null, false, "0/1", "Init:ExitCode:2", "0" },
        { "init image pull", "i1", "app", "Pending", L(Waiting("i1", "ErrImagePull")), L(Waiting("app", "PodInitializing")), [], null, false, "0/1", "Init:ErrImagePull", "0" },
        { "init image back-off", "i1", "app", "Pending", L(Waiting("i1", "ImagePullBackOff")), L(Waiting("app", "PodInitializing")), [], null, false, "0/1", "Init:ImagePullBackOff", "0" },
        { "inits done, app not created", "i1,i2", "app", "Pending", L(Exited("i1", 0), Exited("i2", 0)), L(Waiting("app", "PodInitializing")), InitializedTrue, null, false, "0/1", "PodInitializing", "0" },
        { "no inits, app creating", "", "app", "Pending", L(), L(Waiting("app", "ContainerCreating")), InitializedTrue, null, false, "0/1", "ContainerCreating", "0" },
        { "app running ready", "", "app", "Running", L(), L(Running("app")), ReadyTrue, null, false, "1/1", "Running", "0" },
        { "app running unready", "", "app", "Running", L(), L(Running("app", ready: false)), InitializedTrue, null, false, "0/1", "Running", "0" },
        { "two apps, one ready", "", "a,b", "Running", L(), L(Running("a"), Running("b", ready: false)), InitializedTrue, null, false, "1/2", "Running", "0" },
        { "completed + running, pod ready", "", "a,b", "Running", L(), L(Exited("a", 0), Running("b")), ReadyTrue, null, false, "1/2", "Running", "0" },
        { "completed + running, pod not ready", "", "a,b", "Running", L(), L(Exited("a", 0), Running("b")), InitializedTrue, null, false, "1/2", "NotReady", "0" },
        { "completed + running unready", "", "a,b", "Running", L(), L(Exited("a", 0), Running("b", ready: false)), InitializedTrue, null, false, "0/2", "Completed", "0" },
        { "succeeded", "i1", "app", "Succeeded", L(Exited("i1", 0)), L(Exited("app", 0)), InitializedTrue, null, false, "0/1", "Completed", "0" },
        { "failed app", "", "app", "Failed", L(), L(Exited("app", 1)), InitializedTrue, null, false, "0/1", "Error", "0" },
        { "app OOMKilled", "", "app", "Running", L(), L(Exited("app", 137, "OOMKilled")), InitializedTrue, null, false, "0/1", "OOMKilled", "0" },
        { "app signal, no reason", "", "app", "Failed", L(), L(Exited("app", 143, "", signal: 15)), InitializedTrue, null, false, "0/1", "Signal:15", "0" },
        { "app exit code, no reason", "", "app", "Failed", L(), L(Exited("app", 3, "")), InitializedTrue, null, false, "0/1", "ExitCode:3", "0" },
        { "app crash loop", "", "app", "Running", L(), L(BackOff("app", 1, restarts: 5, finishedAgo: TimeSpan.FromSeconds(45))), InitializedTrue, null, false, "0/1", "CrashLoopBackOff", "5 (45s ago)" },
        { "lowest index wins", "", "a,b", "Running", L(), L(BackOff("a", 1), Exited("b", 1)), InitializedTrue, null, false, "0/2", "CrashLoopBackOff", "1 (45s ago)" },
        { "lowest index wins the other way", "", "a,b", "Running", L(), L(Exited("a", 1), BackOff("b", 1)), InitializedTrue, null, false, "0/2", "Error", "1 (45s ago)" },
        { "start error", "", "app", "Running", L(), L(Waiting("app", "RunContainerError")), InitializedTrue, null, false, "0/1", "RunContainerError", "0" },
        { "post-start hook error", "", "app", "Running", L(), L(Waiting("app", "PostStartHookError")), InitializedTrue, null, false, "0/1", "PostStartHookError", "0" },
        { "deleting a running pod", "", "app", "Running", L(), L(Running("app")), ReadyTrue, null, true, "1/1", "Terminating", "0" },
        { "deleting an initializing pod", "i1", "app", "Pending", L(Running("i1", ready: false)), L(Waiting("app", "PodInitializing")), [], null, true, "0/1", "Terminating", "0" },
        { "deleting a succeeded pod", "", "app", "Succeeded", L(), L(Exited("app", 0)), InitializedTrue, null, true, "0/1", "Completed", "0" },
        { "deleting a failed pod", "", "app", "Failed", L(), L(Exited("app", 1)), InitializedTrue, null, true, "0/1", "Error", "0" },
        { "deadline exceeded, no statuses", "", "app", "Failed", L(), L(), [], "DeadlineExceeded", false, "0/1", "DeadlineExceeded", "0" },
        { "deadline exceeded, app still running", "", "app", "Failed", L(), L(Running("app")), ReadyTrue, "DeadlineExceeded", false, "1/1", "DeadlineExceeded", "0" },
        { "deadline exceeded, app killed", "", "app", "Failed", L(), L(Exited("app", 137)), InitializedTrue, "DeadlineExceeded", false, "0/1", "Error", "0" },
        // sidecars
        { "sidecar not started", "s:side,i1", "app", "Pending", L(Running("side", ready: false, started: false), Waiting("i1", "PodInitializing")), L(Waiting("app", "PodInitializing")), [], null, false, "0/2", "Init:0/2", "0" },
        { "sidecar started not ready, next init running", "s:side,i1", "app", "Pending", L(Running("side", ready: false), Running("i1", ready: false)), L(Waiting("app", "PodInitializing")), [], null, false, "0/2", "Init:1/2", "0" },
        { "sidecar started ready, next init running", "s:side,i1", "app", "Pending", L(Running("side"), Running("i1", ready: false)), L(Waiting("app", "PodInitializing")), [], null, false, "1/2", "Init:1/2", "0" },
        { "sidecar and app ready", "s:side,i1", "app", "Running", L(Running("side"), Exited("i1", 0)), L(Running("app")), ReadyTrue, null, false, "2/2", "Running", "0" },
        { "sidecar ready, app completed, Never", "s:side", "app", "Running", L(Running("side")), L(Exited("app", 0)), ReadyTrue, null, false, "1/2", "Completed", "0" },
        { "sidecar crash loop after init, app running", "s:side", "app", "Running", L(BackOff("side", 1, restarts: 2, finishedAgo: TimeSpan.FromSeconds(200))), L(Running("app")), InitializedTrue, null, false, "1/2", "Init:CrashLoopBackOff", "2 (3m20s ago)" },
        { "sidecar crash loop, app back-off", "s:side", "app", "Running", L(BackOff("side", 1, restarts: 2)), L(BackOff("app", 1, restarts: 1, finishedAgo: TimeSpan.FromSeconds(10))), InitializedTrue, null, false, "0/2", "CrashLoopBackOff", "3 (10s ago)" },
        { "sidecar not started, init condition false", "s:side", "app", "Pending", L(BackOff("side", 1, restarts: 4)), L(Waiting("app", "PodInitializing")), [], null, false, "0/2", "Init:CrashLoopBackOff", "4 (45s ago)" },
    };

    [Theory]
    [MemberData(nameof(Rows))]
    public void Row(string label, string inits, string apps, string phase, ContainerStatusInfo[] init, ContainerStatusInfo[] app,
        PodCondition[] conditions, string? reason, bool deleting, string ready, string status, string restarts)
    {
        var pod = Pod("Always", inits, apps);
        var s = new PodStatusInfo
        {
            Phase = phase, Reason = reason, Deleting = deleting, Conditions = conditions, StartTime = Start,
            InitContainerStatuses = init, ContainerStatuses = app,
        };
        var row = KubectlPrinter.Row(pod, s, Now);
        Assert.Equal((label, "web", ready, status, restarts, "3m20s"), (label, row.Name, row.Ready, row.Status, row.Restarts, row.Age));
    }

    [Fact]
    public void Age_is_unknown_without_a_start_time()
    {
        var row = KubectlPrinter.Row(Pod("Always", "", "app"), new PodStatusInfo { ContainerStatuses = L(Waiting("app", "ContainerCreating")) }, Now);
        Assert.Equal("<unknown>", row.Age);
        Assert.Equal("ContainerCreating", row.Status);
    }

    [Fact]
    public void Restarts_use_the_latest_last_termination_across_containers()
    {
        var pod = Pod("Always", "", "a,b");
        var s = new PodStatusInfo
        {
            Phase = "Running", Conditions = ReadyTrue, StartTime = Now.AddDays(-3).AddHours(-4),
            ContainerStatuses = L(Ret(Running("a"), 2, TimeSpan.FromHours(2)), Ret(Running("b"), 1, TimeSpan.FromMinutes(6))),
        };
        var row = KubectlPrinter.Row(pod, s, Now);
        Assert.Equal("3 (6m ago)", row.Restarts);
        Assert.Equal("3d4h", row.Age);
        Assert.Equal("2/2", row.Ready);
    }

    [Fact]
    public void Restarts_without_a_last_state_have_no_age()
    {
        var pod = Pod("Always", "", "a");
        var s = new PodStatusInfo { Phase = "Running", StartTime = Start, ContainerStatuses = L(Running("a", restarts: 2)) };
        Assert.Equal("2", KubectlPrinter.Row(pod, s, Now).Restarts);
    }

    [Fact]
    public void Regular_init_restarts_are_dropped_once_the_apps_are_reached_but_sidecar_restarts_stay()
    {
        var pod = Pod("Always", "s:side,i1", "app");
        var s = new PodStatusInfo
        {
            Phase = "Running", Conditions = ReadyTrue, StartTime = Start,
            InitContainerStatuses = L(Ret(Running("side"), 2, TimeSpan.FromSeconds(90)), Ret(Exited("i1", 0), 4, TimeSpan.FromSeconds(30))),
            ContainerStatuses = L(Ret(Running("app"), 1, TimeSpan.FromSeconds(120))),
        };
        Assert.Equal("3 (90s ago)", KubectlPrinter.Row(pod, s, Now).Restarts);
    }

    [Fact]
    public void While_initializing_all_init_restarts_count()
    {
        var pod = Pod("OnFailure", "i1,i2", "app");
        var s = new PodStatusInfo
        {
            Phase = "Pending", StartTime = Start,
            InitContainerStatuses = L(Ret(Exited("i1", 0), 2, TimeSpan.FromSeconds(300)), BackOff("i2", 1, restarts: 1, finishedAgo: TimeSpan.FromSeconds(5))),
            ContainerStatuses = L(Waiting("app", "PodInitializing")),
        };
        var row = KubectlPrinter.Row(pod, s, Now);
        Assert.Equal("3 (5s ago)", row.Restarts);
        Assert.Equal("Init:CrashLoopBackOff", row.Status);
    }
}
