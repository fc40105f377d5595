using System.Runtime.InteropServices;

namespace PodShim.Interop;

/// <summary>
/// A CLOCK_MONOTONIC timerfd: a thread blocked in <see cref="Wait"/> wakes when it expires, within
/// the kernel's timer slack (microseconds), where .NET's timers round to milliseconds and then hop
/// through the thread pool. The kernel's timer sits on the CPU of the thread that arms it, and
/// <see cref="ArmAt"/> may be called from any thread.
/// </summary>
public sealed class TimerFd : IDisposable
{
    /// <summary>The deadline of a disarmed timer.</summary>
    public const long Disarmed = long.MaxValue;

    private const int TfdTimerAbstime = 1;

    private readonly SafeFdHandle _fd;

    public TimerFd()
    {
        int fd = Interop.TimerFdCreate(Interop.ClockMonotonic, Interop.TfdCloexec);
        NativeException.ThrowIfMinusOne(fd, "timerfd_create", "CLOCK_MONOTONIC");
        _fd = new SafeFdHandle(fd);
    }

    /// <summary>Expires once at <paramref name="deadline"/>, in nanoseconds of <see cref="MonotonicNow"/>
    /// (a deadline already past expires at once); <see cref="Disarmed"/> disarms it.</summary>
    public void ArmAt(long deadline)
    {
        var spec = new Interop.ITimerSpec();
        if (deadline != Disarmed)
        {
            long at = Math.Max(1, deadline); // all zeros would disarm
            spec.Value = new Interop.Timespec { Seconds = at / 1_000_000_000, Nanoseconds = at % 1_000_000_000 };
        }
        NativeException.ThrowIfMinusOne(Interop.TimerFdSetTime(_fd, TfdTimerAbstime, in spec, 0), "timerfd_settime");
    }

    /// <summary>CLOCK_MONOTONIC in nanoseconds, the clock <see cref="ArmAt"/> counts on.</summary>
    public static long MonotonicNow()
    {
        NativeException.ThrowIfMinusOne(Interop.ClockGetTime(Interop.ClockMonotonic, out Interop.Timespec now), "clock_gettime", "CLOCK_MONOTONIC");
        return now.Seconds * 1_000_000_000 + now.Nanoseconds;
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
}
