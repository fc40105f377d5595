using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using PodShim.Interop;
using PodShim.Runtime.Probes;
using PodShim.Runtime.Probes.Http;

namespace PodShim.Bench;

/// <summary>
/// HTTP probe figures (issue 5), measured, never asserted, loopback only:
///  1. bytes allocated per probe over 10 000 HTTP probes and over 10 000 TCP probes of the same server
///     (GC.GetAllocatedBytesForCurrentThread), in total: the socket factory's raw descriptor included;
///  2. probes/s and CPU µs per probe (thread CPU time) on one core against a keep-nothing server in another process
///     (bench/c/http_loop.c, pinned to the other core), next to a plain C loop (connect+write+read+close) on the same
///     server and core;
///  3. the same with K probes in flight on that one core (K threads pinned to it, each its own prober, as the
///     supervisor's bounded probe executor runs them), next to K C loops pinned to the same core.
/// bench/run.sh http [N] [K] (default 20 000 probes for the throughput runs, K = 4, the supervisor's executor size).
/// </summary>
internal static partial class HttpProbeBenchmark
{
    public static int Run(string[] args)
    {
        int n = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 20_000;
        int k = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 4;
        int cpus = Environment.ProcessorCount;
        int clientCpu = 0, serverCpu = cpus > 1 ? 1 : -1;

        string dir = BenchEnvironment.WorkPath("bench-http");
        Directory.CreateDirectory(dir);
        Process? server = null;
        try
        {
            string exe = BenchEnvironment.CompileC("http_loop.c", dir);
            server = Process.Start(new ProcessStartInfo(exe, $"server {serverCpu} 300") { RedirectStandardOutput = true })!;
            int port = int.Parse(server.StandardOutput.ReadLine()!, CultureInfo.InvariantCulture);
            Console.WriteLine($"http: keep-nothing server (C, pid {server.Id}, cpu {serverCpu}) on 127.0.0.1:{port}; client on cpu {clientCpu}; {cpus} cpus");

            var spec = new HttpProbeSpec("HTTP", "127.0.0.1", port, "/", []);
            using var prober = new HttpProber(spec, HostSocket.OpenStream);
            TimeSpan timeout = TimeSpan.FromSeconds(1);

            int figure = 0;
            var thread = new Thread(() => figure = Measure(prober, timeout, n, clientCpu, exe, port)) { Name = "http-bench" };
            thread.Start();
            thread.Join();
            return figure != 0 ? figure : MeasureConcurrent(spec, timeout, n, k, clientCpu, exe, port);
        }
        finally
        {
            if (server is { HasExited: false }) server.Kill();
            server?.Dispose();
            Directory.Delete(dir, recursive: true);
        }
    }

    private static int Measure(HttpProber prober, TimeSpan timeout, int n, int cpu, string exe, int port)
    {
        Pin(cpu);
        // Warm up (JIT tiering, pools), and check the server answers.
        for (int i = 0; i < 5_000; i++)
        {
            ProbeResult r = prober.Probe(timeout);
            if (r.Outcome != ProbeOutcome.Success) { Console.Error.WriteLine($"http: warm-up probe {i}: {r}"); return 1; }
        }

        // 1. Allocation, everything included (the factory's descriptor is a raw fd: no Socket object).
        const int allocN = 10_000;
        int failures = 0;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < allocN; i++)
            if (prober.Probe(timeout).Outcome != ProbeOutcome.Success) failures++;
        long probeBytes = GC.GetAllocatedBytesForCurrentThread() - before;
        Console.WriteLine($"http alloc: {allocN} probes: {(double)probeBytes / allocN:F1} B/probe in total ({probeBytes} B); failures {failures}");

        // The same for TCP probes of the same server (it accepts and closes; the probe connects and resets).
        var tcp = new TcpProber("127.0.0.1", port, HostSocket.OpenStream);
        for (int i = 0; i < 2_000; i++)
        {
            ProbeResult r = tcp.Probe(timeout);
            if (r.Outcome != ProbeOutcome.Success) { Console.Error.WriteLine($"tcp: warm-up probe {i}: {r}"); return 1; }
        }
        failures = 0;
        before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < allocN; i++)
            if (tcp.Probe(timeout).Outcome != ProbeOutcome.Success) failures++;
        probeBytes = GC.GetAllocatedBytesForCurrentThread() - before;
        Console.WriteLine($"tcp alloc: {allocN} probes: {(double)probeBytes / allocN:F1} B/probe in total ({probeBytes} B); failures {failures}");

        // 2. Throughput and CPU, then the C loop on the same core and server.
        failures = 0;
        long wall0 = Stopwatch.GetTimestamp();
        double cpu0 = ThreadCpuSeconds();
        for (int i = 0; i < n; i++)
            if (prober.Probe(timeout).Outcome != ProbeOutcome.Success) failures++;
        double cpuSeconds = ThreadCpuSeconds() - cpu0;
        double wallSeconds = Stopwatch.GetElapsedTime(wall0).TotalSeconds;
        double dotnetCpuUs = cpuSeconds / n * 1e6;
        Console.WriteLine($"http probe (.NET): {n} probes in {wallSeconds:F3} s = {n / wallSeconds:F0}/s; thread CPU {dotnetCpuUs:F1} µs/probe; failures {failures}");

        string line = BenchEnvironment.RunToEnd(exe, $"client {cpu} {port} {n}").Trim();
        string[] f = line.Split(' ');
        double cWall = double.Parse(f[1], CultureInfo.InvariantCulture), cCpu = double.Parse(f[2], CultureInfo.InvariantCulture);
        double cCpuUs = cCpu / n * 1e6;
        Console.WriteLine($"http C loop:       {n} iterations in {cWall:F3} s = {n / cWall:F0}/s; thread CPU {cCpuUs:F1} µs/iteration; failures {f[3]}");
        Console.WriteLine($"http: .NET/C CPU per probe = {dotnetCpuUs / cCpuUs:F2}x; wall rate ratio = {(n / wallSeconds) / (n / cWall):F2}");
        return 0;
    }

    /// <summary>
    /// K probers on K threads, all pinned to one core: probes per second that core sustains, next to K C loops on the
    /// same core. This shared machine's speed drifts by 2x within a minute, so the two alternate for several rounds
    /// and the medians are compared.
    /// </summary>
    private static int MeasureConcurrent(HttpProbeSpec spec, TimeSpan timeout, int n, int k, int cpu, string exe, int port)
    {
        const int Rounds = 5;
        var dotnetRates = new List<double>();
        var cRates = new List<double>();
        var dotnetCpu = new List<double>();
        var cCpu = new List<double>();
        for (int round = 0; round < Rounds; round++)
        {
            (double rate, double cpuUs, int failures) = RunThreads(spec, timeout, n, k, cpu);
            dotnetRates.Add(rate);
            dotnetCpu.Add(cpuUs);
            string[] f = BenchEnvironment.RunToEnd(exe, $"client {cpu} {port} {n} {k}").Trim().Split(' ');
            double cWall = double.Parse(f[1], CultureInfo.InvariantCulture), cSeconds = double.Parse(f[2], CultureInfo.InvariantCulture);
            cRates.Add(n / cWall);
            cCpu.Add(cSeconds / n * 1e6);
            Console.WriteLine($"http, {k} in flight on cpu {cpu}, round {round + 1}: .NET {rate:F0}/s ({cpuUs:F1} µs CPU/probe, {failures} failed); "
                + $"C loop {n / cWall:F0}/s ({cSeconds / n * 1e6:F1} µs CPU/iteration, {f[3]} failed)");
        }
        Console.WriteLine($"http, {k} in flight on cpu {cpu}, medians of {Rounds} rounds: .NET {Median(dotnetRates):F0} probes/s at {Median(dotnetCpu):F1} µs CPU; "
            + $"C loop {Median(cRates):F0}/s at {Median(cCpu):F1} µs CPU");
        return 0;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.OrderBy(v => v).ToList();
        return sorted[sorted.Count / 2];
    }

    private static (double Rate, double CpuUs, int Failures) RunThreads(HttpProbeSpec spec, TimeSpan timeout, int n, int k, int cpu)
    {
        using var start = new Barrier(k + 1);
        var cpuSeconds = new double[k];
        var failures = new int[k];
        var threads = new Thread[k];
        for (int t = 0; t < k; t++)
        {
            int index = t, share = n / k + (t < n % k ? 1 : 0);
            threads[t] = new Thread(() =>
            {
                Pin(cpu);
                using var prober = new HttpProber(spec, HostSocket.OpenStream);
                for (int i = 0; i < 2_000; i++) prober.Probe(timeout);
                start.SignalAndWait();
                double cpu0 = ThreadCpuSeconds();
                for (int i = 0; i < share; i++)
                    if (prober.Probe(timeout).Outcome != ProbeOutcome.Success) failures[index]++;
                cpuSeconds[index] = ThreadCpuSeconds() - cpu0;
            }) { Name = "http-bench-" + t };
            threads[t].Start();
        }
        start.SignalAndWait();
        long wall0 = Stopwatch.GetTimestamp();
        foreach (Thread thread in threads) thread.Join();
        double wallSeconds = Stopwatch.GetElapsedTime(wall0).TotalSeconds;
        return (n / wallSeconds, cpuSeconds.Sum() / n * 1e6, failures.Sum());
    }

    private static void Pin(int cpu)
    {
        if (cpu >= 0)
            CpuAffinity.PinCurrentThread(cpu);
    }

    private static unsafe double ThreadCpuSeconds()
    {
        long* ts = stackalloc long[2];
        clock_gettime(3 /* CLOCK_THREAD_CPUTIME_ID */, ts);
        return ts[0] + ts[1] / 1e9;
    }

    [LibraryImport("libc")]
    private static unsafe partial int clock_gettime(int clock, long* ts);
}
