using System.Diagnostics;
using System.Globalization;
using PodShim.Interop;
using PodShim.Interop.Syscalls;
using PodShim.Manifest;
using PodShim.Runtime.Containers;
using PodShim.Runtime.Images;
using PodShim.Runtime.Pods;
using PodShim.Runtime.State;

namespace PodShim.Bench;

/// <summary>
/// Walking-skeleton figures (issue 2), measured, never asserted:
///  1. spawn → exit observed: one /bin/true container attempt in an existing pod (fresh overlay upper,
///     keeper, pid+mount namespaces, pivot_root), from ContainerInstance.Start to the keeper's exit record.
///  2. RSS of podshim-pause and podshim-keeper while a container runs.
/// </summary>
internal static class SpawnBenchmark
{
    public static int Run(string[] args)
    {
        if (!BenchEnvironment.RequireRoot("namespaces and mounts"))
            return 2;
        int iterations = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 200;

        string root = BenchEnvironment.WorkPath("bench");
        string bin = NativeLibraryResolver.BinDirectory;
        const string yaml = """
            apiVersion: v1
            kind: Pod
            metadata:
              name: bench
            spec:
              containers:
              - name: t
                image: busybox
                command: ["/bin/true"]
              - name: s
                image: busybox
                command: ["sleep", "3"]
            """;
        Pod pod = ManifestLoader.LoadText(yaml, "bench.yaml").OfType<Pod>().Single();
        var layout = new StateLayout(root);
        ResolvedImage image = ImageStore.ForRoot(root).Resolve("busybox");
        PodPaths paths = layout.Pod("default", "bench");
        Directory.CreateDirectory(paths.Directory);
        try
        {
            using PodSandbox sandbox = PodSandbox.Create(pod, paths, bin, LinuxSyscalls.Instance);
            Container trueContainer = pod.Spec.Containers[0];

            var samples = new List<double>(iterations);
            var startedSamples = new List<double>(iterations);
            for (int i = -10; i < iterations; i++)
            {
                long start = Stopwatch.GetTimestamp();
                using ContainerInstance c = ContainerInstance.Start(sandbox, trueContainer, image, i + 10, bin); // a fresh attempt, as a restart makes
                double startedMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                if (i >= 0) startedSamples.Add(startedMs);
                ExitRecord exit = c.WaitExit(-1) ?? throw new InvalidOperationException("no exit");
                double ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                if (exit.ExitCode != 0)
                    throw new InvalidOperationException($"/bin/true exited {exit.ExitCode}");
                if (i >= 0)
                    samples.Add(ms);
            }
            samples.Sort();
            double P(double q) => samples[(int)Math.Min(samples.Count - 1, Math.Round(q * (samples.Count - 1)))];
            startedSamples.Sort();
            Console.WriteLine($"  of which spawn->exec'd: median {startedSamples[startedSamples.Count / 2]:F2} ms");
            Console.WriteLine($"spawn->exit observed, /bin/true, n={samples.Count}: median {P(0.5):F2} ms, p10 {P(0.1):F2} ms, p90 {P(0.9):F2} ms, min {samples[0]:F2} ms");

            using ContainerInstance sleeper = ContainerInstance.Start(sandbox, pod.Spec.Containers[1], image, 1, bin);
            Thread.Sleep(300);
            Console.WriteLine($"podshim-pause  RSS: {Rss(sandbox.Holder!.Pid)} KiB");
            Console.WriteLine($"podshim-keeper RSS: {Rss(sleeper.KeeperPid)} KiB");
            sleeper.Signal(Posix.SIGKILL);
            sleeper.WaitExit(10_000);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
        return 0;
    }

    private static string Rss(int pid) =>
        File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
}
