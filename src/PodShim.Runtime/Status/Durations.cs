using System.Globalization;

namespace PodShim.Runtime.Status;

/// <summary>k8s.io/apimachinery/pkg/util/duration and Go's <c>time.Duration.String</c>.</summary>
public static class Durations
{
    private static string S(long v) => v.ToString(CultureInfo.InvariantCulture);

    /// <summary><c>duration.ShortHumanDuration</c>: one unit ("45s", "6m", "2h", "3d", "1y").</summary>
    public static string ShortHumanDuration(TimeSpan d)
    {
        // Go's int(d.Seconds()) truncates toward zero; up to 2 s in the future counts as now.
        var seconds = (long)d.TotalSeconds;
        if (seconds < -1)
            return "<invalid>";
        if (seconds < 0)
            return "0s";
        if (seconds < 60)
            return S(seconds) + "s";
        var minutes = (long)d.TotalMinutes;
        if (minutes < 60)
            return S(minutes) + "m";
        var hours = (long)d.TotalHours;
        if (hours < 24)
            return S(hours) + "h";
        if (hours < 24 * 365)
            return S(hours / 24) + "d";
        return S((long)(d.TotalHours / 24 / 365)) + "y";
    }

    /// <summary><c>duration.HumanDuration</c>: up to two units ("3m20s", "2h15m", "3d4h", "2y45d").</summary>
    public static string HumanDuration(TimeSpan d)
    {
        var seconds = (long)d.TotalSeconds;
        if (seconds < -1)
            return "<invalid>";
        if (seconds < 0)
            return "0s";
        if (seconds < 60 * 2)
            return S(seconds) + "s";
        var minutes = d.Ticks / TimeSpan.TicksPerMinute;
        if (minutes < 10)
        {
            var s = d.Ticks / TimeSpan.TicksPerSecond % 60;
            return s == 0 ? S(minutes) + "m" : S(minutes) + "m" + S(s) + "s";
        }
        if (minutes < 60 * 3)
            return S(minutes) + "m";
        var hours = d.Ticks / TimeSpan.TicksPerHour;
        if (hours < 8)
        {
            var m = minutes % 60;
            return m == 0 ? S(hours) + "h" : S(hours) + "h" + S(m) + "m";
        }
        if (hours < 48)
            return S(hours) + "h";
        if (hours < 24 * 8)
        {
            var h = hours % 24;
            return h == 0 ? S(hours / 24) + "d" : S(hours / 24) + "d" + S(h) + "h";
        }
        if (hours < 24 * 365 * 2)
            return S(hours / 24) + "d";
        if (hours < 24 * 365 * 8)
        {
            var dy = hours / 24 % 365;
            return dy == 0 ? S(hours / 24 / 365) + "y" : S(hours / 24 / 365) + "y" + S(dy) + "d";
        }
        return S(hours / 24 / 365) + "y";
    }

    /// <summary>Go's <c>time.Duration.String()</c>: "0s", "10s", "1m20s", "5m0s", "1h0m0s", "1.5s", "250ms".</summary>
    public static string GoString(TimeSpan d)
    {
        if (d == TimeSpan.Zero)
            return "0s";
        var neg = d < TimeSpan.Zero;
        var ticks = Math.Abs(d.Ticks); // 100 ns
        string body;
        if (ticks < TimeSpan.TicksPerSecond)
        {
            // Sub-second: the largest unit of ms/µs/ns, with a fraction.
            var ns = ticks * 100;
            body = ns < 1_000 ? S(ns) + "ns"
                : ns < 1_000_000 ? Fraction(ns, 1_000) + "µs"
                : Fraction(ns, 1_000_000) + "ms";
        }
        else
        {
            var totalSeconds = ticks / TimeSpan.TicksPerSecond;
            var frac = ticks % TimeSpan.TicksPerSecond;
            var secs = Fraction(totalSeconds % 60 * TimeSpan.TicksPerSecond + frac, TimeSpan.TicksPerSecond) + "s";
            var totalMinutes = totalSeconds / 60;
            if (totalMinutes == 0)
                body = secs;
            else if (totalMinutes < 60)
                body = S(totalMinutes) + "m" + secs;
            else
                body = S(totalMinutes / 60) + "h" + S(totalMinutes % 60) + "m" + secs;
        }
        return neg ? "-" + body : body;
    }

    // value/unit with the fraction's trailing zeros dropped, as Go prints it.
    private static string Fraction(long value, long unit)
    {
        var whole = value / unit;
        var rest = value % unit;
        if (rest == 0)
            return S(whole);
        var digits = unit.ToString(CultureInfo.InvariantCulture).Length - 1;
        return S(whole) + "." + rest.ToString(CultureInfo.InvariantCulture).PadLeft(digits, '0').TrimEnd('0');
    }
}
