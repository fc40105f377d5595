using System.Diagnostics;
using System.Text.Json;
using PodShim.Interop;

namespace PodShim.IntegrationTests;

/// <summary>Probes against real containers (busybox httpd), read back from status.json.</summary>
public sealed class ProbeTests : IDisposable
{
    private readonly PodHarness _h = new();

    public void Dispose() => _h.Dispose();

    private JsonElement? App(string pod)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(_h.PodDir(pod), "status.json")));
            return doc.RootElement.TryGetProperty("containerStatuses", out JsonElement s) ? s[0].Clone() : null;
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            return null;
        }
    }

    private bool Ready(string pod) => App(pod) is { } c && c.GetProperty("ready").GetBoolean();
    private int Restarts(string pod) => App(pod) is { } c ? c.GetProperty("restartCount").GetInt32() : 0;

    private void Stop(Process run)
    {
        Posix.Kill(run.Id, Posix.SIGTERM);
        Assert.True(run.WaitForExit(30_000));
    }

    [RootFact]
    public void Readiness_follows_the_page_and_never_restarts_liveness_over_tcp_keeps_it_alive()
    {
        // The seed's probe example with busybox httpd in place of myapp: liveness tcpSocket on 80,
        // readiness httpGet /hostname.html, which appears 3 s after start.
        const string yaml = """
            apiVersion: v1
            kind: Pod
            metadata:
              name: web
            spec:
              terminationGracePeriodSeconds: 1
              containers:
              - name: web
                image: busybox
                command: ['sh', '-c', 'mkdir -p /www; echo hi > /www/index.html; (sleep 3; hostname > /www/hostname.html) & exec httpd -f -p 80 -h /www']
                livenessProbe:
                  tcpSocket:
                    port: 80
                  periodSeconds: 1
                readinessProbe:
                  httpGet:
                    path: /hostname.html
                    port: 80
                  periodSeconds: 1
            """;
        using Process run = _h.Start(yaml);
        PodHarness.WaitFor(() => App("web") is { } c && c.GetProperty("state").TryGetProperty("running", out _), "the container to run");
        Assert.False(Ready("web")); // the page is not there yet
        var sw = Stopwatch.StartNew();
        PodHarness.WaitFor(() => Ready("web"), "readiness to pass", 15_000);
        Assert.InRange(sw.Elapsed.TotalSeconds, 0.5, 10);
        Thread.Sleep(2_500); // liveness keeps passing
        Assert.True(Ready("web"));
        Assert.Equal(0, Restarts("web"));
        string events = File.ReadAllText(Path.Combine(_h.PodDir("web"), "events.jsonl"));
        Assert.Contains("Readiness probe failed: HTTP probe failed with statuscode: 404", events);
        Stop(run);
    }

    [RootFact]
    public void A_failing_liveness_probe_restarts_the_container()
    {
        const string yaml = """
            apiVersion: v1
            kind: Pod
            metadata:
              name: dead
            spec:
              terminationGracePeriodSeconds: 1
              containers:
              - name: app
                image: busybox
                command: ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 0.05; done']
                livenessProbe:
                  tcpSocket:
                    port: 81
                  periodSeconds: 1
                  failureThreshold: 2
            """;
        using Process run = _h.Start(yaml);
        PodHarness.WaitFor(() => Restarts("dead") >= 1, "a liveness restart", 20_000);
        string events = File.ReadAllText(Path.Combine(_h.PodDir("dead"), "events.jsonl"));
        Assert.Contains("Container app failed liveness probe, will be restarted", events);
        Assert.Contains("Liveness probe failed: dial tcp 127.0.0.1:81: connect: connection refused", events);
        Stop(run);
    }

    [RootFact]
    public void An_exec_probe_that_times_out_is_a_failure()
    {
        const string yaml = """
            apiVersion: v1
            kind: Pod
            metadata:
              name: slow
            spec:
              terminationGracePeriodSeconds: 1
              containers:
              - name: app
                image: busybox
                command: ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 0.05; done']
                livenessProbe:
                  exec:
                    command: ['sleep', '5']
                  timeoutSeconds: 1
                  periodSeconds: 1
                  failureThreshold: 1
            """;
        using Process run = _h.Start(yaml);
        PodHarness.WaitFor(() => Restarts("slow") >= 1, "a restart after the exec probe timed out", 20_000);
        Assert.Contains("timed out", File.ReadAllText(Path.Combine(_h.PodDir("slow"), "events.jsonl")));
        Stop(run);
    }

    [RootFact]
    public void A_startup_probe_holds_liveness_back()
    {
        // Liveness would fail at once (nothing on 82), but the startup probe passes only after 4 s:
        // until then the container is not started, not ready, and not killed.
        const string yaml = """
            apiVersion: v1
            kind: Pod
            metadata:
              name: boot
            spec:
              terminationGracePeriodSeconds: 1
              containers:
              - name: app
                image: busybox
                command: ['sh', '-c', 'trap "exit 0" TERM; (sleep 4; touch /tmp/booted) & while true; do sleep 0.05; done']
                startupProbe:
                  exec:
                    command: ['test', '-f', '/tmp/booted']
                  periodSeconds: 1
                  failureThreshold: 30
                livenessProbe:
                  tcpSocket:
                    port: 82
                  periodSeconds: 1
                  failureThreshold: 1
            """;
        using Process run = _h.Start(yaml);
        PodHarness.WaitFor(() => App("boot") is { } c && c.GetProperty("state").TryGetProperty("running", out _), "the container to run");
        Thread.Sleep(2_500);
        Assert.Equal(0, Restarts("boot"));
        Assert.False(App("boot")!.Value.GetProperty("started").GetBoolean());
        PodHarness.WaitFor(() => Restarts("boot") >= 1, "liveness to act once started", 20_000);
        Stop(run);
    }
}
