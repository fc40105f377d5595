using PodShim.Interop;

namespace PodShim.Runtime.Probes;

/// <summary>
/// The system clock with timers that fire within microseconds of their due time, for few, cheap
/// callbacks (one per pod's probe queue, which only hands due probes to the probe threads). .NET's
/// own timers round to milliseconds and run callbacks through the thread pool, which put the probe
/// scheduler's p99 lateness at ~5 ms on two busy cores.
/// <para>
/// Each timer has a waiter thread on each of two CPUs (<see cref="ProbeCpus"/>), each blocked on
/// its own timerfd, which it arms itself so that the kernel's timer sits on that CPU; the first to
/// wake past the deadline runs the callback. A CPU that is busy, or a virtual CPU the hypervisor has
/// not scheduled, wakes its thread milliseconds late: on this project's 2-vCPU test machine one
/// timerfd thread was 1–3 ms late at p99 at busy times while the earlier of two such threads on
/// different CPUs was 0.05–0.5 ms late (bench/c/timer_loop.c). Each waiter arms its own timerfd:
/// armed from one thread, both kernel timers sat on that thread's CPU and were late together.
/// </para>
/// <para>
/// As with <see cref="System.Threading.Timer"/>, callbacks may overlap: a deadline can fire on one
/// waiter while the callback for the previous one still runs on the other.
/// </para>
/// </summary>
public sealed class PreciseTimeProvider : TimeProvider
{
    public static PreciseTimeProvider Instance { get; } = new(null);

    private readonly int[]? _cpus;

    /// <param name="cpus">The CPUs of each timer's waiters (none: one waiter, not pinned); null: <see cref="ProbeCpus"/>.</param>
    internal PreciseTimeProvider(int[]? cpus) => _cpus = cpus;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        CheckRange(dueTime, nameof(dueTime)); // before the waiter threads start
        CheckRange(period, nameof(period));
        var timer = new FdTimer(callback, state, _cpus ?? ProbeCpus.Spread);
        timer.Change(dueTime, period);
        return timer;
    }

    // As System.Threading.Timer: infinite, or 0 to 4294967294 ms.
    private static void CheckRange(TimeSpan time, string name)
    {
        if (time != Timeout.InfiniteTimeSpan && (time < TimeSpan.Zero || time > TimeSpan.FromMilliseconds(0xfffffffe)))
            throw new ArgumentOutOfRangeException(name, time, "must be infinite or between 0 and 4294967294 ms");
    }

    private sealed class FdTimer : ITimer
    {
        private sealed class Waiter(int cpu)
        {
            public readonly int Cpu = cpu;
            public readonly TimerFd Fd = new();
            // The deadline this waiter's timerfd is armed for.
            public long ArmedFor = TimerFd.Disarmed;
        }

        private readonly Waiter[] _waiters;
        private readonly TimerCallback _callback;
        private readonly object? _state;
        private readonly Lock _lock = new();
        private long _deadline = TimerFd.Disarmed;
        private long _period;
        private bool _disposed;
        private int _running;

        /// <param name="cpus">One waiter pinned to each; none: one waiter, not pinned.</param>
        public FdTimer(TimerCallback callback, object? state, int[] cpus)
        {
            _callback = callback;
            _state = state;
            _waiters = cpus.Length == 0 ? [new Waiter(-1)] : Array.ConvertAll(cpus, cpu => new Waiter(cpu));
            _running = _waiters.Length;
            foreach (Waiter waiter in _waiters)
                new Thread(() => Wait(waiter)) { IsBackground = true, Name = waiter.Cpu < 0 ? "probe-timer" : $"probe-timer-{waiter.Cpu}" }.Start();
        }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            CheckRange(dueTime, nameof(dueTime));
            CheckRange(period, nameof(period));
            lock (_lock)
            {
                if (_disposed)
                    return false;
                _period = period > TimeSpan.Zero && period != Timeout.InfiniteTimeSpan ? period.Ticks * 100 : 0;
                _deadline = dueTime == Timeout.InfiniteTimeSpan
                    ? TimerFd.Disarmed
                    : TimerFd.MonotonicNow() + dueTime.Ticks * 100;
                // A waiter armed for later is woken now to re-arm itself on its own CPU (arming it from
                // here would put its kernel timer on this thread's CPU). One armed for earlier wakes then
                // and re-arms anyway.
                foreach (Waiter waiter in _waiters)
                {
                    if (_deadline < waiter.ArmedFor)
                    {
                        waiter.ArmedFor = 0;
                        waiter.Fd.ArmAt(0);
                    }
                }
                return true;
            }
        }

        private void Wait(Waiter waiter)
        {
            ProbeCpus.TryPin(waiter.Cpu);
            while (true)
            {
                bool fire = false;
                lock (_lock)
                {
                    if (_disposed)
                        break;
                    // The other waiter may have fired this deadline already, and the callback may have
                    // set a later one: fire only a deadline that is due and not yet taken.
                    long now = TimerFd.MonotonicNow();
                    if (_deadline <= now)
                    {
                        fire = true;
                        if (_period == 0)
                            _deadline = TimerFd.Disarmed;
                        else if ((_deadline += _period) <= now)
                            _deadline = now + _period; // periods missed are skipped, as a timerfd does
                    }
                    else
                    {
                        waiter.ArmedFor = _deadline;
                        waiter.Fd.ArmAt(_deadline);
                    }
                }
                if (fire)
                    _callback(_state); // then look again: the callback has likely moved the deadline
                else
                    waiter.Fd.Wait();
            }
            // The last waiter out closes the descriptors (closing one under a blocked read would not wake it).
            if (Interlocked.Decrement(ref _running) == 0)
                foreach (Waiter each in _waiters)
                    each.Fd.Dispose();
        }

        public void Dispose()
        {
            lock (_lock)
            {
                if (_disposed)
                    return;
                _disposed = true;
                // Wakes every waiter, which sees the flag and leaves.
                foreach (Waiter waiter in _waiters)
                    waiter.Fd.ArmAt(0);
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
