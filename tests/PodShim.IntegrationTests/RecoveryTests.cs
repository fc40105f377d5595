using System.Text.Json;
using PodShim.Interop;
using PodShim.Runtime.Kubectl;
using PodShim.Runtime.Pods;
using PodShim.Runtime.Recovery;
using PodShim.Runtime.State;
using PodShim.Runtime.Status;

namespace PodShim.IntegrationTests;

/// <summary>
/// A pod's supervisor killed with SIGKILL: the keepers go on writing logs and exit records, the next podshim command
/// (or `podshim recover`) starts a new supervisor that adopts the holder and containers, and the pod goes on.
/// </summary>
public sealed class RecoveryTests : IDisposable
{
    private readonly PodHarness _h = new();

    public void Dispose() => _h.Dispose();

    private JsonElement Status(string pod)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(_h.PodDir(pod), "status.json")));
        return doc.RootElement.Clone();
    }

    private static JsonElement App(JsonElement status) => status.GetProperty("containerStatuses")[0];

    /// <summary>Whether the pod's first app container is running (false while it has no status yet).</summary>
    private bool Running(string pod) =>
        Status(pod).TryGetProperty("containerStatuses", out JsonElement s) && s[0].GetProperty("state").TryGetProperty("running", out _);

    private int KillSupervisor(string pod)
    {
        int pid = _h.SupervisorPid(pod) ?? throw new InvalidOperationException($"pod {pod} has no supervisor");
        _h.Remember();
        Assert.True(Posix.Kill(pid, Posix.SIGKILL));
        PodHarness.WaitFor(() => !PodHarness.IsAlive(pid), "the supervisor to die");
        return pid;
    }

    [RootFact]
    public void Sigkill_while_a_container_writes_every_100ms_loses_no_line_and_the_pod_goes_on()
    {
        const string yaml = """
            apiVersion: v1
            kind: Pod
            metadata:
              name: counter
            spec:
              restartPolicy: OnFailure
              terminationGracePeriodSeconds: 2
              containers:
              - name: count
                image: busybox
                command: ['sh', '-c', 'i=0; while [ $i -lt 40 ]; do echo line $i; i=$((i+1)); sleep 0.1; done; exit 3']
                readinessProbe:
                  exec:
                    command: ['true']
                  periodSeconds: 1
            """;
        Assert.Equal(0, _h.Podshim("apply", "-f", _h.WriteManifest(yaml)).ExitCode);
        string log0 = Path.Combine(_h.AttemptDir("counter", "count", 0), "log");
        PodHarness.WaitFor(() => File.Exists(log0) && File.ReadAllText(log0).Contains("line 5\n"), "five lines");
        int killed = KillSupervisor("counter");
        int container = PodHarness.ReadPid(Path.Combine(_h.AttemptDir("counter", "count", 0), "container.pid"));
        Assert.True(PodHarness.IsAlive(container), "the container died with its supervisor");

        var recover = _h.Podshim("recover");
        Assert.Equal(0, recover.ExitCode);
        Assert.Matches(@"^pod/counter recovered \(namespace default, supervisor pid \d+\)\n$", recover.Stdout);
        int supervisor = _h.SupervisorPid("counter") ?? 0;
        Assert.NotEqual(killed, supervisor);
        PodHarness.WaitFor(() => File.ReadAllText(Path.Combine(_h.PodDir("counter"), "supervisor.log")).Contains("count#0: keeper"), "the new supervisor to adopt the keeper");

        // The exit that came after the crash is recorded by the new supervisor, which restarts the container
        // (OnFailure, exit 3) and probes the new attempt until it is ready.
        PodHarness.WaitFor(() =>
        {
            JsonElement app = App(Status("counter"));
            return app.GetProperty("restartCount").GetInt32() == 1 && app.GetProperty("ready").GetBoolean()
                && app.GetProperty("state").TryGetProperty("running", out _);
        }, "attempt 1 to run and be ready", 60_000);
        JsonElement last = App(Status("counter")).GetProperty("lastState").GetProperty("terminated");
        Assert.Equal(3, last.GetProperty("exitCode").GetInt32());
        Assert.Equal("Error", last.GetProperty("reason").GetString());
        Assert.Equal(supervisor, _h.SupervisorPid("counter"));

        // Not a line missing from the attempt that ran across the crash, and logs --previous serves it.
        string[] expected = Enumerable.Range(0, 40).Select(i => $"line {i}").ToArray();
        Assert.Equal(expected, _h.LogLines("counter", "count"));
        Assert.Equal(string.Join("\n", expected) + "\n", _h.Podshim("logs", "counter", "--previous").Stdout);
        string row = _h.Podshim("get", "pods", "counter").Stdout.Split('\n')[1];
        Assert.Matches(@"^counter +1/1 +Running +1 \(\d+s ago\) +\d+s$", row);

        Assert.Equal(0, _h.Podshim("delete", "pod", "counter").ExitCode);
        Assert.Empty(_h.ProcessesOfRoot());
    }

    [RootFact]
    public void An_exit_while_no_supervisor_ran_is_recorded_by_the_next_command()
    {
        const string yaml = """
            apiVersion: v1
            kind: Pod
            metadata:
              name: once
            spec:
              restartPolicy: Never
              containers:
              - name: c
                image: busybox
                command: ['sh', '-c', 'until [ -e /tmp/stop ]; do sleep 0.05; done; exit 5']
            """;
        Assert.Equal(0, _h.Podshim("run", "-d", "-f", _h.WriteManifest(yaml)).ExitCode);
        string attempt = _h.AttemptDir("once", "c", 0);
        PodHarness.WaitForFile(Path.Combine(attempt, "container.pid"));
        PodHarness.WaitFor(() => Running("once"), "the container to run");
        KillSupervisor("once");
        // The container ends with no supervisor: only its keeper sees it.
        Assert.Equal(0, _h.Podshim("exec", "once", "--", "touch", "/tmp/stop").ExitCode);
        PodHarness.WaitForFile(Path.Combine(attempt, "exit.json"));
        // The exec above already restarted a supervisor (every command does); get shows what it made of the exit.
        PodHarness.WaitFor(() => Status("once").GetProperty("phase").GetString() == "Failed", "the pod to fail");
        JsonElement terminated = App(Status("once")).GetProperty("state").GetProperty("terminated");
        Assert.Equal(5, terminated.GetProperty("exitCode").GetInt32());
        PodHarness.WaitFor(() => _h.SupervisorPid("once") is null, "the supervisor to end with the pod");
        Assert.Matches(@"^once +0/1 +Error +0 +\d+s$", _h.Podshim("get", "pods", "once").Stdout.Split('\n')[1]);
        Assert.Empty(_h.MountsUnderRoot());
        Assert.Equal(0, _h.Podshim("delete", "pod", "once").ExitCode);
    }

    [RootFact]
    public void A_pod_whose_supervisor_died_is_deleted_gracefully()
    {
        const string yaml = """
            apiVersion: v1
            kind: Pod
            metadata:
              name: graceful
            spec:
              containers:
              - name: c
                image: busybox
                command: ['sh', '-c', 'trap "echo got TERM > /dev/shm/x; exit 0" TERM; sleep 3600 & wait']
            """;
        Assert.Equal(0, _h.Podshim("apply", "-f", _h.WriteManifest(yaml)).ExitCode);
        PodHarness.WaitFor(() => Running("graceful"), "the container to run");
        int holder = PodHarness.ReadPid(Path.Combine(_h.PodDir("graceful"), "holder.pid"));
        KillSupervisor("graceful");
        var delete = _h.Podshim("delete", "pod", "graceful");
        Assert.Equal((0, "pod \"graceful\" deleted\n"), (delete.ExitCode, delete.Stdout));
        Assert.False(PodHarness.IsAlive(holder));
        Assert.Empty(_h.ProcessesOfRoot());
        Assert.Empty(_h.MountsUnderRoot());
    }

    /// <summary>
    /// SIGKILL at random moments while the supervisor rewrites status.json and lifecycle.json several times a second
    /// (init containers finishing one after another, a readiness probe flipping): every state file parses after
    /// every kill, and the pod still ends up initialized exactly once, with no restart counted.
    /// </summary>
    [RootFact]
    public void Kill_9_at_random_moments_leaves_every_state_file_readable()
    {
        string inits = string.Concat(Enumerable.Range(0, 6).Select(i =>
            $"  - name: init{i}\n    image: busybox\n    command: ['sh', '-c', 'sleep 0.3']\n"));
        string yaml = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: churn\nspec:\n  initContainers:\n" + inits +
            "  containers:\n  - name: app\n    image: busybox\n    command: ['sh', '-c', 'while true; do touch /tmp/ready; sleep 0.5; rm -f /tmp/ready; sleep 0.5; done']\n" +
            "    readinessProbe:\n      exec:\n        command: ['test', '-e', '/tmp/ready']\n      periodSeconds: 1\n";
        Assert.Equal(0, _h.Podshim("apply", "-f", _h.WriteManifest(yaml)).ExitCode);
        var paths = new StateLayout(_h.Root).Pod("default", "churn");
        var random = new Random(8);
        for (int round = 0; round < 12; round++)
        {
            PodHarness.WaitFor(() => _h.SupervisorPid("churn") is not null, "a supervisor");
            Thread.Sleep(random.Next(50, 600));
            KillSupervisor("churn");
            AssertReadable(paths);
            Assert.Equal(0, _h.Podshim("recover").ExitCode);
        }
        PodHarness.WaitFor(() => Running("churn"), "the app to run", 60_000);
        JsonElement status = Status("churn");
        foreach (JsonElement init in status.GetProperty("initContainerStatuses").EnumerateArray())
        {
            Assert.Equal(0, init.GetProperty("restartCount").GetInt32());
            Assert.Equal(0, init.GetProperty("state").GetProperty("terminated").GetProperty("exitCode").GetInt32());
        }
        Assert.DoesNotContain(EventLog.Read(paths.Events), e => e.Reason == "FailedSupervision");
        Assert.Equal(0, _h.Podshim("delete", "pod", "churn", "--now").ExitCode);
        Assert.Empty(_h.ProcessesOfRoot());
    }

    private static void AssertReadable(PodPaths paths)
    {
        PodStatusJson.Parse(File.ReadAllText(paths.Status));
        if (File.Exists(paths.Checkpoint))
            LifecycleCheckpoint.Parse(File.ReadAllText(paths.Checkpoint));
        PodRecord.Parse(File.ReadAllText(paths.Record));
        // Every complete line of the event log is an event (a line cut short by the kill has no newline yet).
        string events = File.Exists(paths.Events) ? File.ReadAllText(paths.Events) : "";
        string[] lines = events.Split('\n');
        foreach (string line in lines[..^1])
            JsonDocument.Parse(line).Dispose();
        Assert.Equal(lines.Length - 1, EventLog.Read(paths.Events).Count);
        int supervisorPidFields = File.ReadAllText(paths.SupervisorPid).Split(' ').Length;
        Assert.Equal(2, supervisorPidFields);
    }
}
