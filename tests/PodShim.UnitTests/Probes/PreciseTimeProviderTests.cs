using System.Diagnostics;
using PodShim.Runtime.Probes;
using Xunit;

namespace PodShim.UnitTests.Probes;

public sealed class PreciseTimeProviderTests
{
    [Fact]
    public void A_one_shot_timer_fires_once_with_its_state()
    {
        using var fired = new CountdownEvent(1);
        object? seen = null;
        int count = 0;
        using ITimer timer = PreciseTimeProvider.Instance.CreateTimer(state =>
        {
            seen = state;
            Interlocked.Increment(ref count);
            fired.Signal();
        }, "state", TimeSpan.FromMilliseconds(20), Timeout.InfiniteTimeSpan);

        Assert.True(fired.Wait(TimeSpan.FromSeconds(10)));
        Thread.Sleep(100);
        Assert.Equal("state", seen);
        Assert.Equal(1, Volatile.Read(ref count));
    }

    [Fact]
    public void A_timer_created_disarmed_fires_only_after_Change_and_not_before_its_due_time()
    {
        using var fired = new ManualResetEventSlim();
        var clock = Stopwatch.StartNew();
        TimeSpan firedAt = TimeSpan.Zero;
        using ITimer timer = PreciseTimeProvider.Instance.CreateTimer(_ =>
        {
            firedAt = clock.Elapsed;
            fired.Set();
        }, null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);

        Assert.False(fired.Wait(TimeSpan.FromMilliseconds(100)));
        TimeSpan armedAt = clock.Elapsed;
        Assert.True(timer.Change(TimeSpan.FromMilliseconds(50), Timeout.InfiniteTimeSpan));
        Assert.True(fired.Wait(TimeSpan.FromSeconds(10)));
        // A timerfd never expires early.
        Assert.True(firedAt - armedAt >= TimeSpan.FromMilliseconds(50), $"fired {(firedAt - armedAt).TotalMilliseconds} ms after arming");
    }

    [Fact]
    public void A_zero_due_time_fires_at_once_and_a_period_repeats()
    {
        using var fired = new CountdownEvent(3);
        using ITimer timer = PreciseTimeProvider.Instance.CreateTimer(_ =>
        {
            if (fired.CurrentCount > 0)
                fired.Signal();
        }, null, TimeSpan.Zero, TimeSpan.FromMilliseconds(10));

        Assert.True(fired.Wait(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void A_disposed_timer_never_fires_and_refuses_Change()
    {
        int count = 0;
        ITimer timer = PreciseTimeProvider.Instance.CreateTimer(_ => Interlocked.Increment(ref count), null,
            TimeSpan.FromMilliseconds(50), Timeout.InfiniteTimeSpan);
        timer.Dispose();
        Assert.False(timer.Change(TimeSpan.Zero, Timeout.InfiniteTimeSpan));
        Thread.Sleep(200);
        Assert.Equal(0, Volatile.Read(ref count));
        timer.Dispose();
    }
}
