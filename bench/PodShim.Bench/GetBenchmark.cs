using System.Diagnostics;
using System.Globalization;
using PodShim.Interop;
using PodShim.Manifest;
using PodShim.Runtime.Pods;
using PodShim.Runtime.Recovery;
using PodShim.Runtime.State;
using PodShim.Runtime.Status;

namespace PodShim.Bench;

/// <summary>
/// Issue 8's figure: `podshim get pods` with 100 pods in the root (target ≤ 100 ms), measured on bin/podshim as a
/// user runs it. The pods are state directories as a supervisor leaves them (meta.json, status.json of a running
/// pod with 2 init containers and 2 apps, pod.yaml, events.jsonl) whose supervisor.pid names this live process, so
/// the stale-supervisor check every command makes reads them all and starts nothing. Also: -o wide, -o json
/// (which parses every manifest), describe of one pod, and `podshim version` (the runtime's start alone).
/// </summary>
internal static class GetBenchmark
{
    private const string Manifest = """
        apiVersion: v1
        kind: Pod
        metadata:
          name: NAME
          labels:
            app: bench
        spec:
          initContainers:
          - name: i1
            image: busybox
            command: ["true"]
          - name: i2
            image: busybox
            command: ["true"]
          containers:
          - name: web
            image: busybox
            command: ["sleep", "3600"]
            readinessProbe:
              exec:
                command: ["true"]
          - name: sidecar
            image: busybox
            command: ["sleep", "3600"]
        """;

    public static int Run(string[] args)
    {
        int pods = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100;
        int n = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 20;
        string podshim = BenchEnvironment.Podshim;
        string root = BenchEnvironment.WorkPath("getbench");
        var layout = new StateLayout(root);
        try
        {
            Populate(layout, pods);
            var results = new List<(string What, List<double> Ms)>
            {
                ("podshim version (runtime start alone)", Time(n, podshim, "version")),
                ($"podshim get pods ({pods} pods)", Time(n, podshim, "get", "pods", "--root", root)),
                ($"podshim get pods -o wide ({pods} pods)", Time(n, podshim, "get", "pods", "-o", "wide", "--root", root)),
                ($"podshim get pods -o json ({pods} pods, every manifest parsed)", Time(Math.Min(n, 10), podshim, "get", "pods", "-o", "json", "--root", root)),
                ("podshim describe pod (one of them)", Time(n, podshim, "describe", "pod", "pod-050", "--root", root)),
            };
            foreach (var (what, ms) in results)
                Console.WriteLine($"{what}: {Stats(ms)}");
            return 0;
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static void Populate(StateLayout layout, int count)
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;
        ulong start = ProcessInfo.Read(Environment.ProcessId)!.StartTicks;
        for (int i = 0; i < count; i++)
        {
            string name = $"pod-{i:000}";
            string text = Manifest.Replace("NAME", name);
            Pod pod = ManifestLoader.LoadText(text, name).OfType<Pod>().Single();
            PodPaths paths = layout.Pod("default", name);
            PodStore.CreatePod(paths, pod, text, now - TimeSpan.FromMinutes(i));
            DateTimeOffset t0 = now - TimeSpan.FromMinutes(i);
            var terminated = new TerminatedState(0, 0, "Completed", null, t0, t0.AddSeconds(1));
            var status = new PodStatusInfo
            {
                Phase = "Running",
                StartTime = t0,
                Conditions = [new("Initialized", "True", null, null, t0), new("Ready", "True", null, null, t0)],
                InitContainerStatuses = [new("i1", "busybox", terminated) { Ready = true }, new("i2", "busybox", terminated) { Ready = true }],
                ContainerStatuses =
                [
                    new("web", "busybox", new RunningState(t0.AddSeconds(2))) { Ready = true, Started = true, RestartCount = i % 3,
                        LastState = i % 3 == 0 ? null : new TerminatedState(1, 0, "Error", null, t0, t0.AddSeconds(1)) },
                    new("sidecar", "busybox", new RunningState(t0.AddSeconds(2))) { Ready = true, Started = true },
                ],
            };
            AtomicFile.WriteAllText(paths.Status, PodStatusJson.Serialize(status));
            File.WriteAllText(paths.Events, string.Concat(Enumerable.Range(0, 12).Select(e =>
                $"{{\"time\":\"{t0.AddSeconds(e):yyyy-MM-ddTHH:mm:ss.fffZ}\",\"type\":\"Normal\",\"reason\":\"Started\",\"message\":\"Started container web\",\"object\":\"spec.containers{{web}}\",\"source\":\"kubelet\"}}\n")));
            File.WriteAllText(paths.SupervisorPid, $"{Environment.ProcessId} {start}\n");
        }
    }

    private static List<double> Time(int n, string file, params string[] args)
    {
        var ms = new List<double>();
        for (int i = -3; i < n; i++)
        {
            var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string a in args)
                psi.ArgumentList.Add(a);
            var sw = Stopwatch.StartNew();
            using Process p = Process.Start(psi)!;
            p.StandardOutput.ReadToEnd();
            p.StandardError.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0)
                throw new InvalidOperationException($"podshim {string.Join(' ', args)} failed");
            if (i >= 0)
                ms.Add(sw.Elapsed.TotalMilliseconds);
        }
        return ms;
    }

    private static string Stats(List<double> values)
    {
        var sorted = values.OrderBy(v => v).ToList();
        return $"median {sorted[sorted.Count / 2]:F1} ms, min {sorted[0]:F1} ms, max {sorted[^1]:F1} ms (n={sorted.Count})";
    }
}
