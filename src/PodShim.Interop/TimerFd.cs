using System.Runtime.InteropServices;

namespace PodShim.Interop;

/// <summary>
/// A CLOCK_MONOTONIC timerfd: a thread blocked in <see cref="Wait"/> wakes when it expires, within
/// the kernel's timer slack (microseconds), where .NET's timers round to milliseconds and then hop
/// through the thread pool. <see cref="Arm"/> may be called from any thread.
/// </summary>
public sealed class TimerFd : IDisposable
{
    private readonly SafeFdHandle _fd;

    public TimerFd()
    {
        int fd = Interop.TimerFdCreate(Interop.ClockMonotonic, Interop.TfdCloexec);
        NativeException.ThrowIfMinusOne(fd, "timerfd_create", "CLOCK_MONOTONIC");
        _fd = new SafeFdHandle(fd);
    }

    /// <summary>First expiry after <paramref name="due"/> (≤ 0: at once), then every <paramref name="period"/>
    /// (≤ 0: once). <see cref="Timeout.InfiniteTimeSpan"/> as <paramref name="due"/> disarms it.</summary>
    public void Arm(TimeSpan due, TimeSpan period)
    {
        var spec = new Interop.ITimerSpec();
        if (due != Timeout.InfiniteTimeSpan)
        {
            // An all-zero value would disarm the timer: "now" is one nanosecond.
            spec.Value = ToTimespec(due, minimumNanoseconds: 1);
            if (period > TimeSpan.Zero && period != Timeout.InfiniteTimeSpan)
                spec.Interval = ToTimespec(period, minimumNanoseconds: 1);
        }
        NativeException.ThrowIfMinusOne(Interop.TimerFdSetTime(_fd, 0, in spec, 0), "timerfd_settime");
    }

    /// <summary>Blocks until the timer expires; returns how many expiries passed since the last wait.</summary>
    public unsafe ulong Wait()
    {
        ulong expirations = 0;
        while (true)
        {
            nint n = Interop.Read(_fd, (byte*)&expirations, sizeof(ulong));
            if (n == sizeof(ulong))
                return expirations;
            int errno = Marshal.GetLastPInvokeError();
            if (n < 0 && errno == Errno.EINTR)
                continue;
            throw new NativeException("read", "timerfd", n < 0 ? errno : Errno.EIO);
        }
    }

    public void Dispose() => _fd.Dispose();

    private static Interop.Timespec ToTimespec(TimeSpan t, long minimumNanoseconds)
    {
        long ns = Math.Max(minimumNanoseconds, t.Ticks * 100);
        return new Interop.Timespec { Seconds = ns / 1_000_000_000, Nanoseconds = ns % 1_000_000_000 };
    }
}
