using System.Diagnostics;
using System.Text.Json;
using PodShim.Interop;

namespace PodShim.IntegrationTests;

/// <summary>The kubelet lifecycle with real containers: ordering, restarts, hooks, termination.</summary>
public sealed class LifecycleTests : IDisposable
{
    private readonly PodHarness _h = new();

    public void Dispose() => _h.Dispose();

    private string Volume(string pod, string volume) => Path.Combine(_h.PodDir(pod), "volumes", volume);

    private static double Uptime(string line) => double.Parse(line.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);

    private JsonElement Status(string pod) => JsonDocument.Parse(File.ReadAllText(Path.Combine(_h.PodDir(pod), "status.json"))).RootElement;

    [RootFact]
    public void Init_containers_run_in_order_before_the_app()
    {
        const string yaml = """
            apiVersion: v1
            kind: Pod
            metadata:
              name: order
            spec:
              restartPolicy: Never
              volumes:
              - name: work
                emptyDir: {}
              initContainers:
              - name: first
                image: busybox
                command: ['sh', '-c', 'echo first $(cut -d" " -f1 /proc/uptime) >> /work/order; sleep 0.3']
                volumeMounts: [{name: work, mountPath: /work}]
              - name: second
                image: busybox
                command: ['sh', '-c', 'echo second $(cut -d" " -f1 /proc/uptime) >> /work/order; sleep 0.3']
                volumeMounts: [{name: work, mountPath: /work}]
              containers:
              - name: app
                image: busybox
                command: ['sh', '-c', 'echo app $(cut -d" " -f1 /proc/uptime) >> /work/order']
                volumeMounts: [{name: work, mountPath: /work}]
            """;
        var r = _h.Run(yaml);
        Assert.Equal(0, r.ExitCode);
        string[] lines = File.ReadAllLines(Path.Combine(Volume("order", "work"), "order"));
        Assert.Equal(["first", "second", "app"], lines.Select(l => l.Split(' ')[0]).ToArray());
        // Each init container sleeps 0.3 s after its stamp; /proc/uptime counts in 10 ms steps.
        const double Resolution = 0.02;
        Assert.True(Uptime(lines[1]) >= Uptime(lines[0]) + 0.3 - Resolution, "second started before first finished");
        Assert.True(Uptime(lines[2]) >= Uptime(lines[1]) + 0.3 - Resolution, "app started before second finished");
        // kubectl's STATUS went through the init steps.
        string[] statuses = r.Stdout.Split('\n').Where(l => l.StartsWith("order ", StringComparison.Ordinal)).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[2]).ToArray();
        Assert.Equal("Init:0/2", statuses[0]);
        Assert.Contains("Init:1/2", statuses);
        Assert.Equal("Completed", statuses[^1]);
        Assert.Equal("Succeeded", Status("order").GetProperty("phase").GetString());
    }

    [RootFact]
    public void A_failed_init_container_under_Never_fails_the_pod_and_the_app_never_runs()
    {
        const string yaml = """
            apiVersion: v1
            kind: Pod
            metadata:
              name: initfail
            spec:
              restartPolicy: Never
              initContainers:
              - name: setup
                image: busybox
                command: ['sh', '-c', 'exit 3']
              containers:
              - name: app
                image: busybox
                command: ['true']
            """;
        var r = _h.Run(yaml);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("Init:Error", r.Stdout);
        JsonElement status = Status("initfail");
        Assert.Equal("Failed", status.GetProperty("phase").GetString());
        JsonElement setup = status.GetProperty("initContainerStatuses")[0].GetProperty("state").GetProperty("terminated");
        Assert.Equal(3, setup.GetProperty("exitCode").GetInt32());
        Assert.Equal("Error", setup.GetProperty("reason").GetString());
        Assert.False(Directory.Exists(Path.Combine(_h.PodDir("initfail"), "containers", "app")));
    }

    [RootFact]
    public void Restarts_back_off_0_then_10_seconds_on_a_real_clock()
    {
        const string yaml = """
            apiVersion: v1
            kind: Pod
            metadata:
              name: crashy
            spec:
              terminationGracePeriodSeconds: 1
              containers:
              - name: app
                image: busybox
                command: ['sh', '-c', 'exit 1']
            """;
        var r = _h.Run(yaml, timeoutMs: 60_000, extraArgs: ["--timeout", "13s"]);
        Assert.Equal(1, r.ExitCode);
        var a0 = _h.ExitOf("crashy", "app", 0);
        var a1 = _h.ExitOf("crashy", "app", 1);
        var a2 = _h.ExitOf("crashy", "app", 2);
        double first = (a1.StartedAt!.Value - a0.FinishedAt).TotalSeconds;
        double second = (a2.StartedAt!.Value - a1.FinishedAt).TotalSeconds;
        Assert.InRange(first, 0, 1.5);    // the first restart is immediate
        Assert.InRange(second, 9.5, 11.5); // then 10 s of back-off
        Assert.Contains("CrashLoopBackOff", r.Stdout);
        Assert.Contains("timed out", r.Stderr);
    }

    [RootFact]
    public void The_next_container_starts_only_after_postStart_returned()
    {
        const string yaml = """
            apiVersion: v1
            kind: Pod
            metadata:
              name: hooks
            spec:
              restartPolicy: Never
              volumes:
              - name: work
                emptyDir: {}
              containers:
              - name: first
                image: busybox
                command: ['sh', '-c', 'echo first >> /work/order; sleep 2']
                volumeMounts: [{name: work, mountPath: /work}]
                lifecycle:
                  postStart:
                    exec:
                      command: ['sh', '-c', 'sleep 1; echo poststart >> /work/order']
              - name: second
                image: busybox
                command: ['sh', '-c', 'echo second >> /work/order']
                volumeMounts: [{name: work, mountPath: /work}]
            """;
        var r = _h.Run(yaml);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(["first", "poststart", "second"], File.ReadAllLines(Path.Combine(Volume("hooks", "work"), "order")));
    }

    [RootFact]
    public void PreStop_runs_before_the_stop_signal_and_its_output_lands_in_the_shared_volume()
    {
        const string yaml = """
            apiVersion: v1
            kind: Pod
            metadata:
              name: prestop
            spec:
              restartPolicy: Never
              terminationGracePeriodSeconds: 10
              volumes:
              - name: work
                emptyDir: {}
              containers:
              - name: app
                image: busybox
                command: ['sh', '-c', 'trap "echo term >> /work/log; exit 0" TERM; echo started >> /work/log; while true; do sleep 0.05; done']
                volumeMounts: [{name: work, mountPath: /work}]
                lifecycle:
                  preStop:
                    exec:
                      command: ['sh', '-c', 'echo prestop >> /work/log; sleep 0.5']
            """;
        using Process p = _h.Start(yaml);
        string log = Path.Combine(Volume("prestop", "work"), "log");
        PodHarness.WaitFor(() => File.Exists(log) && File.ReadAllText(log).Contains("started"), "the container to start");
        Posix.Kill(p.Id, Posix.SIGTERM);
        Assert.True(p.WaitForExit(30_000));
        Assert.Equal(0, p.ExitCode);
        Assert.Equal(["started", "prestop", "term"], File.ReadAllLines(log));
    }

    [RootFact]
    public void Delete_with_a_grace_period_kills_a_TERM_ignoring_container_on_time()
    {
        const string yaml = """
            apiVersion: v1
            kind: Pod
            metadata:
              name: stubborn
            spec:
              terminationGracePeriodSeconds: 60
              containers:
              - name: app
                image: busybox
                command: ['sleep', '600']
            """;
        using Process run = _h.Start(yaml);
        string pidFile = Path.Combine(_h.AttemptDir("stubborn", "app"), "container.pid");
        PodHarness.WaitForFile(pidFile);
        int pid = PodHarness.ReadPid(pidFile);
        PodHarness.WaitFor(() => File.ReadAllText($"/proc/{pid}/cmdline").StartsWith("sleep", StringComparison.Ordinal), "the container to exec");
        var sw = Stopwatch.StartNew();
        var delete = _h.Podshim("delete", "pod", "stubborn", "--grace-period", "2");
        Assert.Equal(0, delete.ExitCode);
        Assert.Equal("pod \"stubborn\" deleted", delete.Stdout.Trim());
        // sleep as PID 1 ignores SIGTERM: SIGKILL comes when the 2 s grace runs out, not the pod's 60 s.
        Assert.InRange(sw.Elapsed.TotalSeconds, 1.8, 8);
        Assert.True(run.WaitForExit(10_000));
        Assert.Equal(1, run.ExitCode);
        Assert.False(Directory.Exists(_h.PodDir("stubborn")));
        Assert.False(PodHarness.IsAlive(pid));
    }

    [RootFact]
    public void A_pod_name_that_exists_is_AlreadyExists_and_the_finished_pod_stays_until_deleted()
    {
        const string yaml = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: twice\nspec:\n  restartPolicy: Never\n  containers:\n  - name: c\n    image: busybox\n    command: ['true']\n";
        Assert.Equal(0, _h.Run(yaml).ExitCode);
        Assert.True(File.Exists(Path.Combine(_h.PodDir("twice"), "status.json")));
        var again = _h.Run(yaml);
        Assert.Equal(1, again.ExitCode);
        Assert.Equal("Error from server (AlreadyExists): pods \"twice\" already exists", again.Stderr.Trim());
        var delete = _h.Podshim("delete", "pod", "twice");
        Assert.Equal(0, delete.ExitCode);
        Assert.False(Directory.Exists(_h.PodDir("twice")));
        Assert.Equal(0, _h.Run(yaml, extraArgs: ["--rm"]).ExitCode);
        Assert.False(Directory.Exists(_h.PodDir("twice")));
    }

    [RootFact]
    public void Losing_the_holder_stops_the_containers_and_the_pod_starts_over_from_its_init_containers()
    {
        const string yaml = """
            apiVersion: v1
            kind: Pod
            metadata:
              name: phoenix
            spec:
              terminationGracePeriodSeconds: 1
              initContainers:
              - name: setup
                image: busybox
                command: ['true']
              containers:
              - name: app
                image: busybox
                command: ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 0.05; done']
            """;
        using Process run = _h.Start(yaml);
        string holderFile = Path.Combine(_h.PodDir("phoenix"), "holder.pid");
        PodHarness.WaitForFile(Path.Combine(_h.AttemptDir("phoenix", "app", 0), "container.pid"));
        int holder = PodHarness.ReadPid(holderFile);
        Assert.True(Posix.Kill(holder, Posix.SIGKILL));
        // The app is stopped, the init container runs again in a new sandbox, then the app again.
        PodHarness.WaitForFile(Path.Combine(_h.AttemptDir("phoenix", "setup", 1), "exit.json"), 20_000);
        PodHarness.WaitForFile(Path.Combine(_h.AttemptDir("phoenix", "app", 1), "container.pid"), 20_000);
        Assert.Equal(0, _h.ExitOf("phoenix", "app", 0).ExitCode); // stopped gracefully (its TERM trap)
        Assert.NotEqual(holder, PodHarness.ReadPid(holderFile));
        Assert.Contains("SandboxChanged", File.ReadAllText(Path.Combine(_h.PodDir("phoenix"), "events.jsonl")));
        Posix.Kill(run.Id, Posix.SIGTERM);
        Assert.True(run.WaitForExit(30_000));
    }
}
