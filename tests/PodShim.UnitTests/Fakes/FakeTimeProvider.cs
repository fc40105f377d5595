namespace PodShim.UnitTests.Fakes;

/// <summary>
/// A manual clock: time moves only through <see cref="Advance"/>, which fires every timer that
/// falls due, in order. Timer callbacks run synchronously on the caller's thread.
/// </summary>
public sealed class FakeTimeProvider : TimeProvider
{
    private readonly List<FakeTimer> _timers = new();
    private DateTimeOffset _now;

    public FakeTimeProvider(DateTimeOffset? start = null) => _now = start ?? new DateTimeOffset(2026, 11, 22, 6, 0, 0, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow() => _now;

    /// <summary>How many timers were made.</summary>
    public int TimersCreated { get; private set; }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        TimersCreated++;
        var timer = new FakeTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    /// <summary>Moves the clock forward, firing due timers at their own times.</summary>
    public void Advance(TimeSpan by)
    {
        DateTimeOffset target = _now + by;
        while (true)
        {
            FakeTimer? next;
            lock (_timers)
                next = _timers.Where(t => t.Due is { } d && d <= target).OrderBy(t => t.Due).FirstOrDefault();
            if (next is null)
                break;
            _now = next.Due!.Value;
            next.Fire();
        }
        _now = target;
    }

    /// <summary>When the next timer falls due (null: none pending).</summary>
    public DateTimeOffset? NextDue
    {
        get
        {
            lock (_timers)
                return _timers.Where(t => t.Due is not null).Select(t => t.Due).Min();
        }
    }

    public int PendingTimers
    {
        get
        {
            lock (_timers)
                return _timers.Count(t => t.Due is not null);
        }
    }

    private sealed class FakeTimer(FakeTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        private TimeSpan _period;
        public DateTimeOffset? Due { get; private set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            _period = period;
            lock (owner._timers)
            {
                if (!owner._timers.Contains(this))
                    owner._timers.Add(this);
                Due = dueTime == Timeout.InfiniteTimeSpan ? null : owner._now + dueTime;
            }
            return true;
        }

        public void Fire()
        {
            Due = _period == Timeout.InfiniteTimeSpan || _period == TimeSpan.Zero ? null : owner._now + _period;
            callback(state);
        }

        public void Dispose()
        {
            lock (owner._timers)
                owner._timers.Remove(this);
            Due = null;
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
