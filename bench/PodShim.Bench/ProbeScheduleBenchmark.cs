using System.Globalization;
using System.Net;
using System.Net.Sockets;
using PodShim.Interop;
using PodShim.Manifest;
using PodShim.Runtime.Lifecycle;
using PodShim.Runtime.Probes;

namespace PodShim.Bench;

/// <summary>
/// Issue 5's scheduling figure: 1 000 probes at a 1 s period for 60 s (seconds adjustable), each a
/// real TCP probe of a loopback listener, through the production ProbeManager (one timer queue) and
/// ProbeExecutor; reports how late each probe run started against its schedule (target: p99 ≤ 2 ms).
/// Before and after, for 10 s each, bench/c/timer_loop.c shows what bare C timer threads see on the
/// machine at the time: this machine's virtual CPUs are sometimes late by milliseconds.
/// </summary>
internal static class ProbeScheduleBenchmark
{
    private sealed class NoEvents : IEventRecorder
    {
        public void Record(string type, string reason, string message, string? container = null) { }
    }

    public static int Run(string[] args)
    {
        int seconds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 60;
        string dir = BenchEnvironment.WorkPath("bench-probes");
        Directory.CreateDirectory(dir);
        try
        {
            string timerLoop = BenchEnvironment.CompileC("timer_loop.c", dir, "-pthread");
            CTimerFloor(timerLoop, "before");
            MeasureProbes(seconds);
            CTimerFloor(timerLoop, "after");
            return 0;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static void CTimerFloor(string timerLoop, string when)
    {
        int[] cpus = CpuAffinity.OfCurrentThread();
        if (cpus.Length < 2)
        {
            Console.WriteLine("C timer floor: skipped, the process may use one CPU only");
            return;
        }
        int first = cpus[0], second = cpus[cpus.Length / 2];
        string[] f = BenchEnvironment.RunToEnd(timerLoop, $"10 {first} {second}").Trim().Split(' ');
        Console.WriteLine($"C timerfd threads at 1 kHz, 10 s {when}: one on cpu {first} p99 {f[2]} ms (max {f[3]}), " +
                          $"one on cpu {second} p99 {f[6]} ms (max {f[7]}), the earlier of the two p99 {f[10]} ms (max {f[11]})");
    }

    private static void MeasureProbes(int seconds)
    {
        const int Probes = 1000;
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(4096);
        int port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        using var stop = new CancellationTokenSource();
        var acceptor = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    listener.Accept().Dispose();
                }
                catch (SocketException)
                {
                    return;
                }
            }
        }) { IsBackground = true };
        acceptor.Start();

        var lateness = new List<double>(Probes * (seconds + 1));
        int runs = 0, failures = 0;
        using var executor = new ProbeExecutor(4);
        // The clock PodSupervisor gives its ProbeManager in production.
        using var manager = new ProbeManager(PreciseTimeProvider.Instance, (c, attempt, probe) =>
        {
            var prober = new TcpProber("127.0.0.1", port, HostSocket.OpenStream);
            return timeout =>
            {
                ProbeResult r = prober.Probe(timeout);
                Interlocked.Increment(ref runs);
                if (r.Outcome != ProbeOutcome.Success)
                    Interlocked.Increment(ref failures);
                return r;
            };
        }, _ => { }, new NoEvents(), executor.Execute);
        manager.LatenessObserver = late =>
        {
            lock (lateness)
                lateness.Add(late.TotalMilliseconds);
        };
        var probe = new Probe { TcpSocket = new TcpSocketAction(IntOrString.FromInt(port), null), PeriodSeconds = 1, FailureThreshold = 1000000 };
        // Containers start at different moments, so their probes' phases spread over the period:
        // start one every millisecond or so across the first second.
        for (int i = 0; i < Probes; i++)
        {
            manager.Start(new Container { Name = "c" + i.ToString(CultureInfo.InvariantCulture), Image = "busybox", LivenessProbe = probe }, 0);
            Thread.Sleep(1);
        }
        Thread.Sleep(TimeSpan.FromSeconds(seconds));
        manager.Dispose();
        stop.Cancel();
        listener.Close();

        double[] sorted;
        lock (lateness)
            sorted = lateness.OrderBy(x => x).ToArray();
        double P(double q) => sorted[(int)Math.Min(sorted.Length - 1, Math.Round(q * (sorted.Length - 1)))];
        Console.WriteLine($"{Probes} TCP probes at 1 s for {seconds} s: {runs} runs, {failures} failed; lateness of probe starts vs schedule: " +
                          $"p50 {P(0.5):F2} ms, p99 {P(0.99):F2} ms, max {sorted[^1]:F2} ms (n={sorted.Length})");
    }
}
