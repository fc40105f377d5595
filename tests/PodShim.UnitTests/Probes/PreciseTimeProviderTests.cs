using System.Diagnostics;
using PodShim.Interop;
using PodShim.Runtime.Probes;
using PodShim.UnitTests.Fakes;
using Xunit;

namespace PodShim.UnitTests.Probes;

/// <summary>Each fact runs with one unpinned waiter per timer and with the production set-up (a
/// waiter on each of two CPUs where the process has two): the callback must run once per
/// deadline either way.</summary>
public sealed class PreciseTimeProviderTests
{
    public static TheoryData<string> Waiters => new() { "one waiter", "a waiter per probe cpu" };

    /// <summary>A one-shot timer whose callback notes when it ran, on a stopwatch started with it, and signals.</summary>
    private sealed class RecordingTimer : IDisposable
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private long _firedAtTicks;

        public RecordingTimer(PreciseTimeProvider provider, TimeSpan due) =>
            Timer = provider.CreateTimer(_ =>
            {
                Volatile.Write(ref _firedAtTicks, _clock.Elapsed.Ticks);
                Fired.Set();
            }, null, due, Timeout.InfiniteTimeSpan);

        public ITimer Timer { get; }
        public ManualResetEventSlim Fired { get; } = new();
        public TimeSpan Now => _clock.Elapsed;
        public TimeSpan FiredAt => TimeSpan.FromTicks(Volatile.Read(ref _firedAtTicks));

        public void Dispose()
        {
            Timer.Dispose();
            Fired.Dispose();
        }
    }

    private static PreciseTimeProvider Provider(string waiters) =>
        waiters == "one waiter" ? new PreciseTimeProvider([]) : PreciseTimeProvider.Instance;

    [Theory]
    [MemberData(nameof(Waiters))]
    public void A_one_shot_timer_fires_once_with_its_state(string waiters)
    {
        using var fired = new ManualResetEventSlim();
        object? seen = null;
        int count = 0;
        using ITimer timer = Provider(waiters).CreateTimer(state =>
        {
            seen = state;
            Interlocked.Increment(ref count);
            fired.Set();
        }, "state", TimeSpan.FromMilliseconds(20), Timeout.InfiniteTimeSpan);

        Assert.True(fired.Wait(TimeSpan.FromSeconds(10)));
        Thread.Sleep(100);
        Assert.Equal("state", seen);
        Assert.Equal(1, Volatile.Read(ref count));
    }

    [Theory]
    [MemberData(nameof(Waiters))]
    public void A_timer_created_disarmed_fires_only_after_Change_and_not_before_its_due_time(string waiters)
    {
        using var timer = new RecordingTimer(Provider(waiters), Timeout.InfiniteTimeSpan);

        Assert.False(timer.Fired.Wait(TimeSpan.FromMilliseconds(100)));
        TimeSpan armedAt = timer.Now;
        Assert.True(timer.Timer.Change(TimeSpan.FromMilliseconds(50), Timeout.InfiniteTimeSpan));
        Assert.True(timer.Fired.Wait(TimeSpan.FromSeconds(10)));
        // A timerfd never expires early.
        Assert.True(timer.FiredAt - armedAt >= TimeSpan.FromMilliseconds(50), $"fired {(timer.FiredAt - armedAt).TotalMilliseconds} ms after arming");
    }

    [Theory]
    [MemberData(nameof(Waiters))]
    public void Moving_the_due_time_earlier_wakes_the_waiters_and_moving_it_later_holds_them_back(string waiters)
    {
        using var timer = new RecordingTimer(Provider(waiters), TimeSpan.FromHours(1));

        // Armed for an hour, now due in 50 ms: the waiters must re-arm, not sleep on.
        Assert.True(timer.Timer.Change(TimeSpan.FromMilliseconds(50), Timeout.InfiniteTimeSpan));
        Assert.True(timer.Fired.Wait(TimeSpan.FromSeconds(10)), "the earlier due time was missed");
        timer.Fired.Reset();

        TimeSpan armedAt = timer.Now;
        Assert.True(timer.Timer.Change(TimeSpan.FromMilliseconds(200), Timeout.InfiniteTimeSpan));
        Assert.True(timer.Timer.Change(TimeSpan.FromMilliseconds(1000), Timeout.InfiniteTimeSpan));
        Assert.True(timer.Fired.Wait(TimeSpan.FromSeconds(10)));
        Assert.True(timer.FiredAt - armedAt >= TimeSpan.FromMilliseconds(1000), $"fired {(timer.FiredAt - armedAt).TotalMilliseconds} ms after arming for 1000 ms");
    }

    [Theory]
    [MemberData(nameof(Waiters))]
    public void A_period_repeats_once_per_period_whatever_the_number_of_waiters(string waiters)
    {
        int count = 0;
        var clock = Stopwatch.StartNew(); // before the timer: its periods count from its creation
        ITimer timer = Provider(waiters).CreateTimer(_ => Interlocked.Increment(ref count), null,
            TimeSpan.Zero, TimeSpan.FromMilliseconds(20));
        Thread.Sleep(1000);
        timer.Dispose();
        TimeSpan elapsed = clock.Elapsed;
        int fired = Volatile.Read(ref count);
        // At most one run per period begun (missed periods are skipped, so a slow machine may see fewer).
        int most = (int)(elapsed.TotalMilliseconds / 20) + 1;
        Assert.InRange(fired, 3, most);
    }

    [Theory]
    [MemberData(nameof(Waiters))]
    public void A_disposed_timer_never_fires_and_refuses_Change(string waiters)
    {
        int count = 0;
        ITimer timer = Provider(waiters).CreateTimer(_ => Interlocked.Increment(ref count), null,
            TimeSpan.FromMilliseconds(50), Timeout.InfiniteTimeSpan);
        timer.Dispose();
        Assert.False(timer.Change(TimeSpan.Zero, Timeout.InfiniteTimeSpan));
        Thread.Sleep(200);
        Assert.Equal(0, Volatile.Read(ref count));
        timer.Dispose();
    }

    [Theory]
    [InlineData(-2, -1)]
    [InlineData(0, -2)]
    [InlineData(4294967295L, -1)]
    public void Due_times_and_periods_out_of_the_system_timers_range_are_refused(long dueMs, long periodMs)
    {
        int count = 0;
        Assert.Throws<ArgumentOutOfRangeException>(() => new PreciseTimeProvider([]).CreateTimer(_ => Interlocked.Increment(ref count), null,
            TimeSpan.FromMilliseconds(dueMs), TimeSpan.FromMilliseconds(periodMs)));
        Assert.Equal(0, Volatile.Read(ref count));
    }

    [TwoCpuFact]
    public void With_two_probe_cpus_the_callback_runs_on_a_thread_pinned_to_one_of_them()
    {
        int[] cpus = ProbeCpus.Spread;
        Assert.Equal(2, cpus.Length);
        int[]? allowed = null;
        using var fired = new ManualResetEventSlim();
        using ITimer timer = PreciseTimeProvider.Instance.CreateTimer(_ =>
        {
            allowed = CpuAffinity.OfCurrentThread();
            fired.Set();
        }, null, TimeSpan.FromMilliseconds(10), Timeout.InfiniteTimeSpan);
        Assert.True(fired.Wait(TimeSpan.FromSeconds(10)));
        int cpu = Assert.Single(allowed!);
        Assert.Contains(cpu, cpus);
    }
}
