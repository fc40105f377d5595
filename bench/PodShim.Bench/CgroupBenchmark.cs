using System.Diagnostics;
using System.Globalization;
using PodShim.Interop;
using PodShim.Interop.Syscalls;
using PodShim.Manifest;
using PodShim.Runtime.Cgroups;
using PodShim.Runtime.Containers;
using PodShim.Runtime.Images;
using PodShim.Runtime.Pods;
using PodShim.Runtime.State;

namespace PodShim.Bench;

/// <summary>
/// Issue 7: the time to create and remove the cgroup tree of a 3-container pod (pod cgroup with its
/// limits, holder cgroup, three attempt cgroups, removal), next to one container spawn → exit in
/// the same place, since the VM's TCG slows everything. Only where cgroup v2 is usable (the test VM:
/// bench/vm-cgroups.sh); it refuses to run elsewhere and never touches a v1/hybrid host's cgroups.
/// </summary>
internal static class CgroupBenchmark
{
    public static int Run(string[] args)
    {
        if (!BenchEnvironment.RequireRoot("cgroups, namespaces and mounts"))
            return 2;
        CgroupHierarchy hierarchy = CgroupHierarchy.Detect("/proc/self/mountinfo", CgroupFileSystem.Instance);
        if (hierarchy.Root is not { } cgroupRoot)
        {
            Console.Error.WriteLine($"bench cgroups: no usable cgroup v2 here ({hierarchy.Reason}); run bench/vm-cgroups.sh");
            return 2;
        }
        int iterations = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 50;
        const string yaml = """
            apiVersion: v1
            kind: Pod
            metadata:
              name: bench
              uid: bench-cgroups
            spec:
              initContainers:
              - name: init
                image: busybox
                command: ["/bin/true"]
                resources: {requests: {cpu: 100m, memory: 16Mi}, limits: {cpu: 200m, memory: 32Mi}}
              containers:
              - name: a
                image: busybox
                command: ["/bin/true"]
                resources: {requests: {cpu: 250m, memory: 32Mi}, limits: {cpu: 500m, memory: 64Mi}}
              - name: b
                image: busybox
                command: ["/bin/true"]
                resources: {requests: {cpu: 250m, memory: 32Mi}, limits: {cpu: 500m, memory: 64Mi}}
            """;
        Pod pod = ManifestLoader.LoadText(yaml, "bench.yaml").OfType<Pod>().Single();
        var manager = new CgroupManager(cgroupRoot, CgroupFileSystem.Instance, LinuxSyscalls.Instance);

        var tree = new List<double>(iterations);
        for (int i = -5; i < iterations; i++)
        {
            long start = Stopwatch.GetTimestamp();
            PodCgroup podCgroup = manager.CreatePod(pod);
            using (ContainerCgroup holder = podCgroup.CreateHolder())
            using (ContainerCgroup init = podCgroup.CreateAttempt("init", 0))
            using (ContainerCgroup a = podCgroup.CreateAttempt("a", 0))
            using (ContainerCgroup b = podCgroup.CreateAttempt("b", 0))
                podCgroup.Remove();
            if (i >= 0)
                tree.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }

        string root = BenchEnvironment.WorkPath("bench");
        string bin = NativeLibraryResolver.BinDirectory;
        var layout = new StateLayout(root);
        ResolvedImage image = ImageStore.ForRoot(root).Resolve("busybox");
        PodPaths paths = layout.Pod("default", "bench");
        Directory.CreateDirectory(paths.Directory);
        var spawn = new List<double>(iterations);
        var spawnInCgroup = new List<double>(iterations);
        try
        {
            using PodSandbox sandbox = PodSandbox.Create(pod, paths, bin, LinuxSyscalls.Instance);
            PodCgroup podCgroup = manager.CreatePod(pod);
            try
            {
                Container a = pod.Spec.Containers[0];
                for (int i = -5; i < iterations; i++)
                {
                    spawn.AddIf(i >= 0, SpawnToExit(() => ContainerInstance.Start(sandbox, a, image, 2 * (i + 5), bin)));
                    ContainerCgroup cg = podCgroup.CreateAttempt("a", 2 * (i + 5) + 1);
                    spawnInCgroup.AddIf(i >= 0, SpawnToExit(() => ContainerInstance.Start(sandbox, a, image, 2 * (i + 5) + 1, bin, cg)));
                    cg.Remove();
                }
            }
            finally
            {
                podCgroup.Remove();
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
        double treeMs = Median(tree), spawnMs = Median(spawn), inCgroupMs = Median(spawnInCgroup);
        Console.WriteLine($"cgroup tree of a 3-container pod (pod + holder + 3 attempts, create + remove), n={tree.Count}: median {treeMs:F2} ms, p90 {P(tree, 0.9):F2} ms");
        Console.WriteLine($"container spawn->exit, /bin/true, no cgroup, n={spawn.Count}: median {spawnMs:F2} ms");
        Console.WriteLine($"container spawn->exit, /bin/true, in its cgroup (CLONE_INTO_CGROUP), n={spawnInCgroup.Count}: median {inCgroupMs:F2} ms");
        Console.WriteLine($"ratio: cgroup tree = {treeMs / spawnMs:F2} x one container spawn (same VM)");
        return 0;
    }

    private static double SpawnToExit(Func<ContainerInstance> start)
    {
        long t = Stopwatch.GetTimestamp();
        using ContainerInstance c = start();
        ExitRecord exit = c.WaitExit(-1) ?? throw new InvalidOperationException("no exit");
        if (exit.ExitCode != 0)
            throw new InvalidOperationException($"/bin/true exited {exit.ExitCode}");
        return Stopwatch.GetElapsedTime(t).TotalMilliseconds;
    }

    private static void AddIf(this List<double> list, bool condition, double value)
    {
        if (condition)
            list.Add(value);
    }

    private static double Median(List<double> samples) => P(samples, 0.5);

    private static double P(List<double> samples, double q)
    {
        var sorted = samples.Order().ToList();
        return sorted[(int)Math.Min(sorted.Count - 1, Math.Round(q * (sorted.Count - 1)))];
    }
}
