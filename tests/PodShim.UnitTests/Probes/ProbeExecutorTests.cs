using System.Diagnostics;
using PodShim.Interop;
using PodShim.Runtime.Probes;
using PodShim.UnitTests.Fakes;
using Xunit;

namespace PodShim.UnitTests.Probes;

public sealed class ProbeExecutorTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static int[] TwoCpus() => ProbeCpus.Spread;

    private static void WaitUntil(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > Patience)
                throw new TimeoutException($"waited {Patience.TotalSeconds} s for {what}");
            Thread.Sleep(1);
        }
    }

    private static void EveryItemRunsOnce(int[] cpus)
    {
        const int Producers = 8, PerProducer = 2000;
        using var executor = new ProbeExecutor(4, cpus);
        var runs = new int[Producers * PerProducer];
        var producers = Enumerable.Range(0, Producers).Select(p => new Thread(() =>
        {
            for (int i = 0; i < PerProducer; i++)
            {
                int item = p * PerProducer + i;
                executor.Execute(() =>
                {
                    if (item % 97 == 0)
                        Thread.Sleep(1); // some slow ones, so that work queues up behind busy threads
                    Interlocked.Increment(ref runs[item]);
                });
                if (i % 50 == 0)
                    Thread.Sleep(1); // and pauses, so that threads go idle and are woken again
            }
        })).ToList();
        producers.ForEach(t => t.Start());
        producers.ForEach(t => t.Join());
        // A lost wake-up leaves work in the queue with every thread asleep: this would time out.
        WaitUntil(() => runs.All(r => Volatile.Read(ref r) != 0), "every item to run");
        Assert.All(runs, r => Assert.Equal(1, r));
    }

    [Fact]
    public void Every_item_runs_exactly_once_with_unpinned_threads() => EveryItemRunsOnce([]);

    [TwoCpuFact]
    public void Every_item_runs_exactly_once_with_threads_spread_over_two_cpus() => EveryItemRunsOnce(TwoCpus());

    [Fact]
    public void At_most_the_thread_count_runs_at_once_and_a_stuck_probe_holds_up_no_other()
    {
        using var executor = new ProbeExecutor(3, []);
        using var release = new ManualResetEventSlim();
        int running = 0, most = 0, done = 0;
        executor.Execute(() => release.Wait());
        for (int i = 0; i < 40; i++)
        {
            executor.Execute(() =>
            {
                int now = Interlocked.Increment(ref running);
                int seen;
                while ((seen = Volatile.Read(ref most)) < now && Interlocked.CompareExchange(ref most, now, seen) != seen)
                {
                }
                Thread.Sleep(2);
                Interlocked.Decrement(ref running);
                Interlocked.Increment(ref done);
            });
        }
        WaitUntil(() => Volatile.Read(ref done) == 40, "the 40 quick items while one is stuck");
        release.Set();
        Assert.Equal(2, most); // three threads, one of them stuck
    }

    [TwoCpuFact]
    public void Threads_are_pinned_and_work_wakes_an_idle_thread_on_the_callers_cpu()
    {
        int[] cpus = TwoCpus();
        using var executor = new ProbeExecutor(4, cpus);
        foreach (int callerCpu in cpus)
        {
            var woken = new List<int>();
            var ranPinned = new List<int[]>();
            OwnThread.Run(() =>
            {
                CpuAffinity.PinCurrentThread(callerCpu);
                for (int i = 0; i < 20; i++)
                {
                    if (i > 0) // the first Dispatch starts the threads
                        WaitUntil(() => executor.IdleThreads(callerCpu) == 2, $"both threads on cpu {callerCpu} to wait for work");
                    using var done = new ManualResetEventSlim();
                    int cpu = executor.Dispatch(() =>
                    {
                        lock (ranPinned)
                            ranPinned.Add(CpuAffinity.OfCurrentThread());
                        done.Set();
                    });
                    woken.Add(cpu);
                    Assert.True(done.Wait(Patience));
                }
            });
            Assert.Equal(Enumerable.Repeat(callerCpu, 19), woken.Skip(1));
            Assert.All(ranPinned, allowed => Assert.Contains(Assert.Single(allowed), cpus));
        }
    }

    [TwoCpuFact]
    public void Work_wakes_a_thread_on_the_other_cpu_when_the_callers_are_busy_and_none_when_all_are()
    {
        int[] cpus = TwoCpus();
        using var executor = new ProbeExecutor(2, cpus); // one thread on each
        var release = new ManualResetEventSlim();
        var woken = new List<int>();
        OwnThread.Run(() =>
        {
            CpuAffinity.PinCurrentThread(cpus[0]);
            executor.Dispatch(() => { }); // starts the threads
            WaitUntil(() => executor.IdleThreads(cpus[0]) == 1 && executor.IdleThreads(cpus[1]) == 1, "both threads to wait for work");
            int busy = -1;
            using var started = new ManualResetEventSlim();
            woken.Add(executor.Dispatch(() =>
            {
                busy = CpuAffinity.CurrentCpu();
                started.Set();
                release.Wait();
            }));
            Assert.True(started.Wait(Patience));
            // Normally the caller's thread took it; if the other one did, the caller's is the idle one.
            int idle = busy == cpus[0] ? cpus[1] : cpus[0];
            WaitUntil(() => executor.IdleThreads(idle) == 1, $"the thread on cpu {idle} to wait for work");
            using var second = new ManualResetEventSlim();
            woken.Add(executor.Dispatch(() =>
            {
                second.Set();
                release.Wait();
            }));
            woken.Add(idle);
            Assert.True(second.Wait(Patience));
            woken.Add(executor.Dispatch(() => { }));
        });
        release.Set();
        Assert.Equal(cpus[0], woken[0]);
        Assert.Equal(woken[2], woken[1]);
        Assert.Equal(ProbeExecutor.NoThreadWoken, woken[3]);
    }
}
