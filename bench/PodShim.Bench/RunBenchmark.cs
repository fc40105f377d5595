using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using PodShim.Interop;

namespace PodShim.Bench;

/// <summary>
/// Issue 4's figures, measured on bin/podshim as a user runs it:
///  (a) `podshim run` of a pod with 2 init containers (`true`) and 1 app: CLI start → the app's
///      "1/1 Running" row, then `podshim delete pod`;
///  (b) the same pod with restartPolicy Never and an app that is `true`: CLI start → command returns.
/// Where the time goes: `podshim version` (runtime start), and the pod's events (sandbox → starts).
/// </summary>
internal static class RunBenchmark
{
    private const string Pod = """
        apiVersion: v1
        kind: Pod
        metadata:
          name: bench
        spec:
          restartPolicy: {0}
          terminationGracePeriodSeconds: 1
          initContainers:
          - name: i1
            image: busybox
            command: ["true"]
          - name: i2
            image: busybox
            command: ["true"]
          containers:
          - name: app
            image: busybox
            command: {1}
        """;

    public static int Run(string[] args)
    {
        if (!BenchEnvironment.RequireRoot("namespaces and mounts"))
            return 2;
        int n = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 20;
        string podshim = BenchEnvironment.Podshim;
        string root = BenchEnvironment.WorkPath("runbench");
        Directory.CreateDirectory(root);
        try
        {
            string running = Path.Combine(root, "running.yaml");
            string completes = Path.Combine(root, "completes.yaml");
            File.WriteAllText(running, string.Format(CultureInfo.InvariantCulture, Pod, "Always", "[\"sleep\", \"3600\"]"));
            File.WriteAllText(completes, string.Format(CultureInfo.InvariantCulture, Pod, "Never", "[\"true\"]"));

            var version = new List<double>();
            var toRunning = new List<double>();
            var delete = new List<double>();
            var toReturn = new List<double>();
            var sandbox = new List<double>();
            var starts = new List<double>();
            for (int i = -3; i < n; i++)
            {
                var sw = Stopwatch.StartNew();
                Exec(podshim, ["version"]).WaitForExit();
                Add(version, i, sw.Elapsed.TotalMilliseconds);

                sw.Restart();
                using Process run = Exec(podshim, ["run", "-f", running, "--root", root]);
                string? line;
                while ((line = run.StandardOutput.ReadLine()) is not null && !(line.Contains(" 1/1 ") && line.Contains(" Running ")))
                {
                }
                Add(toRunning, i, sw.Elapsed.TotalMilliseconds);
                (double s, double st) = EventTimes(Path.Combine(root, "pods", "default_bench", "events.jsonl"));
                Add(sandbox, i, s);
                Add(starts, i, st);
                sw.Restart();
                Exec(podshim, ["delete", "pod", "bench", "--root", root]).WaitForExit();
                Add(delete, i, sw.Elapsed.TotalMilliseconds);
                run.WaitForExit();

                sw.Restart();
                using Process once = Exec(podshim, ["run", "--rm", "-f", completes, "--root", root]);
                once.StandardOutput.ReadToEnd();
                once.WaitForExit();
                if (once.ExitCode != 0)
                    throw new InvalidOperationException("the Never pod did not succeed");
                Add(toReturn, i, sw.Elapsed.TotalMilliseconds);
            }
            Console.WriteLine($"podshim run, 2 init + 1 app, CLI start -> app running (n={n}): {Stats(toRunning)}");
            Console.WriteLine($"  podshim version (runtime start, nothing else): {Stats(version)}");
            Console.WriteLine($"  first event (Scheduled) -> app Started, from events.jsonl: {Stats(starts)}");
            Console.WriteLine($"  Scheduled -> first Started (sandbox + first attempt): {Stats(sandbox)}");
            // sleep as PID 1 has no SIGTERM handler: it dies by SIGKILL when the grace (1 s, raised to the 2 s minimum) runs out.
            Console.WriteLine($"podshim delete pod (grace 1 s -> 2 s minimum, then SIGKILL): {Stats(delete)}");
            Console.WriteLine($"podshim run --rm, restartPolicy Never, app `true`, CLI start -> return (n={n}): {Stats(toReturn)}");
            return 0;
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static void Add(List<double> list, int i, double ms)
    {
        if (i >= 0)
            list.Add(ms);
    }

    private static string Stats(List<double> values)
    {
        var sorted = values.OrderBy(v => v).ToList();
        return $"median {sorted[sorted.Count / 2]:F1} ms, min {sorted[0]:F1} ms, max {sorted[^1]:F1} ms";
    }

    private static Process Exec(string file, string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args)
            psi.ArgumentList.Add(a);
        return Process.Start(psi)!;
    }

    /// <summary>(Scheduled → first Started, Scheduled → the app's Started) in ms.</summary>
    private static (double, double) EventTimes(string events)
    {
        DateTimeOffset? scheduled = null, firstStarted = null, appStarted = null;
        foreach (string line in File.ReadLines(events))
        {
            using var doc = JsonDocument.Parse(line);
            var e = doc.RootElement;
            var time = DateTimeOffset.Parse(e.GetProperty("time").GetString()!, CultureInfo.InvariantCulture);
            string reason = e.GetProperty("reason").GetString()!;
            if (reason == "Scheduled")
                scheduled ??= time;
            if (reason == "Started")
            {
                firstStarted ??= time;
                if (e.GetProperty("object").GetString()!.Contains("{app}", StringComparison.Ordinal))
                    appStarted = time;
            }
        }
        return ((firstStarted!.Value - scheduled!.Value).TotalMilliseconds, (appStarted!.Value - scheduled.Value).TotalMilliseconds);
    }
}
