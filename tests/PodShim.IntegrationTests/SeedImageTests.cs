using System.Diagnostics;
using System.Text.Json;
using PodShim.Interop;

namespace PodShim.IntegrationTests;

/// <summary>The seed manifests that need the bundled nginx, myapp and busyboxplus images, run for real.</summary>
public sealed class SeedImageTests : IDisposable
{
    private readonly PodHarness _h = new();

    public void Dispose() => _h.Dispose();

    private static string Seed(string file) => File.ReadAllText(Path.Combine(PodHarness.RepoRoot, "examples", "seeds", file));

    private JsonElement? ContainerStatus(string pod, string container, string list = "containerStatuses")
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(_h.PodDir(pod), "status.json")));
            if (!doc.RootElement.TryGetProperty(list, out JsonElement statuses))
                return null;
            foreach (JsonElement s in statuses.EnumerateArray())
                if (s.GetProperty("name").GetString() == container)
                    return s.Clone();
            return null;
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            return null;
        }
    }

    private string[] LogLinesOrNone(string pod, string container)
    {
        try
        {
            return _h.LogLines(pod, container);
        }
        catch (IOException)
        {
            return [];
        }
    }

    private void Delete(Process run, string pod)
    {
        var delete = _h.Podshim("delete", "pod", pod, "--grace-period", "3");
        Assert.Equal(0, delete.ExitCode);
        Assert.True(run.WaitForExit(30_000));
    }

    [RootFact]
    public void Init_demo_the_init_container_fills_the_emptyDir_and_nginx_serves_it()
    {
        // The seed as written, except that the page is downloaded from a server inside the pod (a native
        // sidecar running busybox httpd) instead of www.baidu.com: tests never leave the machine. A second
        // app container asks nginx for the page.
        string yaml = Seed("000-init-demo.yaml")
            .Replace("http://www.baidu.com", "http://127.0.0.1:8080/", StringComparison.Ordinal)
            .Replace("  initContainers:\n", """
                  - name: check
                    image: busyboxplus
                    command: ['sh', '-c', 'until curl -sf http://127.0.0.1/ -o /tmp/page; do sleep 0.2; done; cat /tmp/page; curl -s -o /dev/null -w "%{http_code}\n" http://127.0.0.1/missing; sleep 600']
                  initContainers:
                  - name: page
                    image: busybox
                    restartPolicy: Always
                    command: ['sh', '-c', 'mkdir -p /www; echo "<h1>the page the init container fetched</h1>" > /www/index.html; exec httpd -f -p 8080 -h /www']

                """, StringComparison.Ordinal);
        Assert.Contains("wget", yaml);
        using Process run = _h.Start(yaml);
        Task<string> stdout = run.StandardOutput.ReadToEndAsync();
        Task<string> stderr = run.StandardError.ReadToEndAsync();
        try
        {
            PodHarness.WaitFor(() => LogLinesOrNone("init-demo", "check").Length >= 2, "the page from nginx", 60_000);
            Assert.Equal(["<h1>the page the init container fetched</h1>", "404"], LogLinesOrNone("init-demo", "check"));
            Assert.Equal(0, _h.Exit("init-demo", "install").ExitCode);
            // nginx logs to the container's stdout and stderr, as the official image does (the keeper writes them a moment later).
            PodHarness.WaitFor(() => LogLinesOrNone("init-demo", "nginx").Any(l => l.Contains("\"GET / HTTP/1.1\" 200", StringComparison.Ordinal)), "nginx's access log");
            PodHarness.WaitFor(() => LogLinesOrNone("init-demo", "nginx").Length > 0 && _h.CriRecords("init-demo", "nginx").Any(r =>
                r.Split(' ')[1] == "stderr" && r.Contains("open() \"/usr/share/nginx/html/missing\" failed", StringComparison.Ordinal)), "nginx's error log");
        }
        finally
        {
            Delete(run, "init-demo");
        }
        // SIGQUIT (the image's stop signal) makes nginx shut down gracefully; run streamed its stderr.
        Assert.Contains("[nginx] ", stderr.Result);
        Assert.Contains("signal 3 (SIGQUIT) received", stderr.Result);
        Assert.Contains("Init:0/2", stdout.Result);
    }

    [RootFact]
    public void The_readiness_seed_waits_in_its_init_container_with_busyboxplus()
    {
        // Unchanged: without cluster DNS its init container loops, printing what it waits for.
        using Process run = _h.Start(Seed("002-readiness.yaml"));
        Task<string> stdout = run.StandardOutput.ReadToEndAsync();
        try
        {
            PodHarness.WaitFor(() => LogLinesOrNone("myapp-pod", "init-myservice").Contains("waiting for myservice"), "the init container's loop", 30_000);
            // status.json follows the start a moment after the container's first line.
            PodHarness.WaitFor(() => ContainerStatus("myapp-pod", "init-myservice", "initContainerStatuses")?.GetProperty("state").TryGetProperty("running", out _) == true,
                "the init container to be running in status.json", 10_000);
        }
        finally
        {
            Delete(run, "myapp-pod");
        }
        Assert.Contains("Init:0/1", stdout.Result);
    }

    [RootFact]
    public void Myapp_serves_its_pages_and_turns_ready_with_the_seeds_probes()
    {
        // 002-readiness.yaml's app container with its liveness and readiness probes, the init container
        // (which waits for cluster DNS) left out; a second container reads the pages.
        string seed = Seed("002-readiness.yaml");
        string yaml = seed[..seed.IndexOf("  initContainers:", StringComparison.Ordinal)] + """
              - name: reader
                image: busyboxplus
                command: ['sh', '-c', 'until curl -sf http://127.0.0.1/hostname.html -o /tmp/h; do sleep 0.2; done; cat /tmp/h; curl -s http://127.0.0.1/; sleep 600']
            """;
        using Process run = _h.Start(yaml);
        Task<string> stdout = run.StandardOutput.ReadToEndAsync();
        try
        {
            PodHarness.WaitFor(() => ContainerStatus("myapp-pod", "myapp-container")?.GetProperty("ready").GetBoolean() == true, "readiness on /hostname.html", 30_000);
            PodHarness.WaitFor(() => LogLinesOrNone("myapp-pod", "reader").Length >= 2, "the pages", 30_000);
            string[] pages = LogLinesOrNone("myapp-pod", "reader");
            Assert.Equal("myapp-pod", pages[0]);
            Assert.Equal("Hello MyApp | Version: v1 | <a href=\"hostname.html\">Pod Name</a>", pages[1]);
            Thread.Sleep(4_000); // a liveness period or so: never restarted
            Assert.Equal(0, ContainerStatus("myapp-pod", "myapp-container")!.Value.GetProperty("restartCount").GetInt32());
        }
        finally
        {
            Delete(run, "myapp-pod");
        }
        Assert.Contains("1/2", stdout.Result);
    }
}
