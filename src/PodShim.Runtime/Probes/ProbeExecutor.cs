using System.Collections.Concurrent;
using PodShim.Interop;

namespace PodShim.Runtime.Probes;

/// <summary>
/// Runs probes on a few dedicated threads (at most that many at once; the rest wait in order), with
/// no task or delegate allocated per probe. The threads are pinned, spread over
/// <see cref="ProbeCpus"/>, and a probe is handed to an idle thread on the caller's CPU when there
/// is one: the caller (the probe timer) is running there now, where a thread woken on another CPU
/// may wait for it to be free, or for the hypervisor to schedule it, for milliseconds.
/// </summary>
/// <remarks>An exec probe's command must not keep the pin: the native code resets the affinity of a
/// container's process to everything its cgroup allows before execve, as runc and crun do (only the
/// short-lived <c>podshim-keeper --enter</c> between them keeps it).</remarks>
public sealed class ProbeExecutor : IDisposable
{
    private sealed class CpuGroup(int cpu)
    {
        public readonly int Cpu = cpu;
        public readonly SemaphoreSlim Wake = new(0);
        public int Threads;
        // Threads of this group that are waiting, or about to wait, on Wake and not yet woken.
        public int Idle;
    }

    private readonly ConcurrentQueue<Action> _queue = new();
    // Made, and the threads started, with the first probe: most pods have none, and a pod's start should pay
    // neither for the threads nor for choosing their CPUs.
    private readonly Lazy<CpuGroup[]> _groups;
    private volatile bool _stopped;

    public ProbeExecutor(int threads)
        : this(threads, null)
    {
    }

    /// <param name="cpus">The CPUs to spread the threads over (none: the threads are not pinned); null: <see cref="ProbeCpus"/>.</param>
    internal ProbeExecutor(int threads, int[]? cpus)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        _groups = new Lazy<CpuGroup[]>(() => StartThreads(threads, cpus ?? ProbeCpus.Spread));
    }

    private CpuGroup[] StartThreads(int threads, int[] cpus)
    {
        CpuGroup[] groups = cpus.Length == 0 ? [new CpuGroup(-1)] : Array.ConvertAll(cpus, cpu => new CpuGroup(cpu));
        for (int i = 0; i < threads; i++)
        {
            CpuGroup group = groups[i % groups.Length];
            group.Threads++;
            new Thread(() => Loop(group)) { IsBackground = true, Name = $"probe-{i}" }.Start();
        }
        return groups;
    }

    public void Execute(Action work) => Dispatch(work);

    /// <summary>What <see cref="Dispatch"/> returns when every thread was busy.</summary>
    internal const int NoThreadWoken = int.MinValue;

    /// <summary>Queues the work and wakes a thread for it; returns the CPU of the thread's group (-1:
    /// unpinned) or <see cref="NoThreadWoken"/>. Tests check the choice here: which thread then takes
    /// the work from the queue is the kernel's timing.</summary>
    internal int Dispatch(Action work)
    {
        CpuGroup[] groups = _groups.Value;
        _queue.Enqueue(work);
        CpuGroup? here = groups.Length > 1 ? GroupOf(CpuAffinity.CurrentCpu()) : null;
        if (here is not null && TryWake(here))
            return here.Cpu;
        // Every thread is busy when none is woken: the first to finish takes the work.
        return WakeAny();
    }

    private int WakeAny()
    {
        foreach (CpuGroup group in _groups.Value)
            if (TryWake(group))
                return group.Cpu;
        return NoThreadWoken;
    }

    /// <summary>Threads pinned to <paramref name="cpu"/> (-1: unpinned) that wait for work (for tests).</summary>
    internal int IdleThreads(int cpu) => _groups.IsValueCreated && GroupOf(cpu) is { } group ? Volatile.Read(ref group.Idle) : 0;

    private CpuGroup? GroupOf(int cpu)
    {
        foreach (CpuGroup group in _groups.Value)
            if (group.Cpu == cpu)
                return group;
        return null;
    }

    /// <summary>Takes one idle thread of the group off the count and wakes it.</summary>
    private static bool TryWake(CpuGroup group)
    {
        if (!TryTakeOffCount(group))
            return false;
        group.Wake.Release();
        return true;
    }

    private void Loop(CpuGroup group)
    {
        ProbeCpus.TryPin(group.Cpu);
        while (!_stopped)
        {
            if (_queue.TryDequeue(out Action? work))
            {
                work();
                continue;
            }
            Interlocked.Increment(ref group.Idle);
            // Work queued between the look above and the count going up found no idle thread: look again.
            if (_queue.TryDequeue(out work))
            {
                // Off the count again; unless a caller has just taken this group's idle thread off
                // it and is waking it: that wake-up is for this work, and is taken here.
                if (!TryTakeOffCount(group))
                {
                    group.Wake.Wait();
                    // That wake-up was meant for work still queued, perhaps while another group's thread idles.
                    if (!_queue.IsEmpty)
                        WakeAny();
                }
                work();
                continue;
            }
            group.Wake.Wait();
        }
    }

    private static bool TryTakeOffCount(CpuGroup group)
    {
        int idle;
        while ((idle = Volatile.Read(ref group.Idle)) > 0)
            if (Interlocked.CompareExchange(ref group.Idle, idle - 1, idle) == idle)
                return true;
        return false;
    }

    public void Dispose()
    {
        _stopped = true;
        if (_groups.IsValueCreated)
            foreach (CpuGroup group in _groups.Value)
                group.Wake.Release(group.Threads);
    }
}
