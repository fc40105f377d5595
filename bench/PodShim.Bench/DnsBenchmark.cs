using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using PodShim.Interop;
using PodShim.Manifest;
using PodShim.Runtime.Services;
using PodShim.Runtime.State;

namespace PodShim.Bench;

/// <summary>
/// Issue 9's figure: queries per second answered by one pod's cluster DNS responder, and the latency
/// percentiles, dnsperf-style. A pod runs under bin/podshim (`--upstream-dns none`); the clients are UDP
/// sockets made inside that pod's network namespace (ps_socket_in_netns), each sending one query,
/// waiting for its answer, then the next (closed loop), to 10.96.0.10:53 as a container would. The mix
/// is what a pod's lookups look like: A and AAAA for a Service by FQDN and by bare name, and an NXDOMAIN.
/// </summary>
internal static class DnsBenchmark
{
    private const string Pod = """
        apiVersion: v1
        kind: Pod
        metadata:
          name: dnsbench
        spec:
          terminationGracePeriodSeconds: 0
          containers:
          - name: app
            image: busybox
            command: ["sleep", "3600"]
        """;

    public static int Run(string[] args)
    {
        if (!BenchEnvironment.RequireRoot("namespaces and mounts"))
            return 2;
        double seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 5;
        string podshim = BenchEnvironment.Podshim;
        string root = BenchEnvironment.WorkPath("dnsbench");
        Directory.CreateDirectory(root);
        Process? run = null;
        try
        {
            var store = new ServiceStore(new StateLayout(root));
            store.Apply(new Service(new ObjectMeta { Name = "myservice" },
                new ServiceSpec { Ports = [new ServicePort { Protocol = "TCP", Port = 80, TargetPort = IntOrString.FromInt(9376) }] }));
            string manifest = Path.Combine(root, "pod.yaml");
            File.WriteAllText(manifest, Pod);
            run = Process.Start(new ProcessStartInfo(podshim)
            {
                ArgumentList = { "run", "-f", manifest, "--root", root, "--upstream-dns", "none" },
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            })!;
            string? line;
            while ((line = run.StandardOutput.ReadLine()) is not null && !line.Contains(" Running ", StringComparison.Ordinal))
            {
            }
            // Keep draining its output so the supervisor never blocks on a full pipe.
            _ = run.StandardOutput.ReadToEndAsync();
            _ = run.StandardError.ReadToEndAsync();
            int holder = int.Parse(File.ReadAllText(Path.Combine(root, "pods", "default_dnsbench", "holder.pid")).Trim(), CultureInfo.InvariantCulture);
            using SafeFdHandle pidfd = Posix.PidfdOpen(holder);
            byte[][] queries =
            [
                Query("myservice.default.svc.cluster.local", 1), Query("myservice.default.svc.cluster.local", 28),
                Query("myservice", 1), Query("nosuch.default.svc.cluster.local", 1),
            ];

            Console.WriteLine($"cluster DNS responder of one pod, {seconds:0.#} s per row, closed-loop UDP clients inside the pod's netns");
            Console.WriteLine("clients   queries/s   p50 µs   p99 µs   p99.9 µs   max µs");
            foreach (int clients in new[] { 1, 4, 16 })
            {
                Measure(pidfd, queries, clients, 1, record: false); // warm-up
                (long count, double[] latencies) = Measure(pidfd, queries, clients, seconds, record: true);
                Array.Sort(latencies);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{clients,7}   {count / seconds,9:0}   {P(latencies, 0.50),6:0}   {P(latencies, 0.99),6:0}   {P(latencies, 0.999),8:0}   {latencies[^1],6:0}"));
            }
            return 0;
        }
        finally
        {
            if (run is not null)
            {
                Process.Start(podshim, ["delete", "pod", "dnsbench", "--grace-period", "0", "--root", root]).WaitForExit();
                run.WaitForExit(30_000);
            }
            Directory.Delete(root, recursive: true);
        }
    }

    private static (long Count, double[] LatenciesMicros) Measure(SafeFdHandle pidfd, byte[][] queries, int clients, double seconds, bool record)
    {
        var resolver = new IPEndPoint(IPAddress.Parse("10.96.0.10"), 53);
        var results = new List<double>[clients];
        long total = 0;
        long deadline = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        var threads = Enumerable.Range(0, clients).Select(c => new Thread(() =>
        {
            var latencies = new List<double>(1 << 16);
            byte[][] mine = queries.Select(q => q.ToArray()).ToArray(); // each client writes its own ids
            using Socket socket = NetnsSocket.Create(pidfd, AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            socket.ReceiveTimeout = 2_000;
            socket.Connect(resolver);
            var reply = new byte[512];
            long n = 0;
            for (int i = c; Stopwatch.GetTimestamp() < deadline; i++)
            {
                byte[] q = mine[i % mine.Length];
                q[0] = (byte)(i >> 8);
                q[1] = (byte)i;
                long start = Stopwatch.GetTimestamp();
                socket.Send(q);
                int got;
                do
                    got = socket.Receive(reply);
                while (got < 2 || reply[0] != q[0] || reply[1] != q[1]);
                n++;
                if (record)
                    latencies.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
            }
            Interlocked.Add(ref total, n);
            results[c] = latencies;
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        return (total, results.SelectMany(l => l).ToArray());
    }

    private static double P(double[] sorted, double p) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];

    private static byte[] Query(string name, ushort type)
    {
        var b = new List<byte> { 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0 };
        foreach (string label in name.Split('.'))
        {
            b.Add((byte)label.Length);
            b.AddRange(System.Text.Encoding.ASCII.GetBytes(label));
        }
        b.AddRange([0, (byte)(type >> 8), (byte)type, 0, 1]);
        return b.ToArray();
    }
}
