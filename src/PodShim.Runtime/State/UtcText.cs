namespace PodShim.Runtime.State;

/// <summary>
/// The fixed-layout UTC timestamps state files carry (<c>2026-11-22T06:14:00Z</c>, metav1.Time; with
/// milliseconds in events), written digit by digit: they are written from a pod's first moments, and
/// DateTime's custom-format path is generic code that ReadyToRun leaves to the JIT at every start.
/// </summary>
public static class UtcText
{
    /// <summary>RFC 3339 in UTC to the second: <c>2026-11-22T06:14:00Z</c>.</summary>
    public static string Seconds(DateTimeOffset time)
    {
        Span<char> c = stackalloc char[20];
        Write(c, time.UtcDateTime, '-', 'T', ':');
        c[19] = 'Z';
        return new string(c);
    }

    /// <summary>RFC 3339 in UTC to the millisecond: <c>2026-11-22T06:14:00.123Z</c>.</summary>
    public static string Milliseconds(DateTimeOffset time)
    {
        DateTime utc = time.UtcDateTime;
        Span<char> c = stackalloc char[24];
        Write(c, utc, '-', 'T', ':');
        c[19] = '.';
        Digits(c.Slice(20, 3), utc.Millisecond);
        c[23] = 'Z';
        return new string(c);
    }

    /// <summary><c>2026_11_22_06_14_00</c>: the kubelet's AtomicWriter directory stamp (its Go layout 2006_01_02_15_04_05).</summary>
    public static string Underscored(DateTimeOffset time)
    {
        Span<char> c = stackalloc char[19];
        Write(c, time.UtcDateTime, '_', '_', '_');
        return new string(c);
    }

    private static void Write(Span<char> c, DateTime utc, char dateSeparator, char middle, char timeSeparator)
    {
        Digits(c[..4], utc.Year);
        c[4] = dateSeparator;
        Digits(c.Slice(5, 2), utc.Month);
        c[7] = dateSeparator;
        Digits(c.Slice(8, 2), utc.Day);
        c[10] = middle;
        Digits(c.Slice(11, 2), utc.Hour);
        c[13] = timeSeparator;
        Digits(c.Slice(14, 2), utc.Minute);
        c[16] = timeSeparator;
        Digits(c.Slice(17, 2), utc.Second);
    }

    private static void Digits(Span<char> into, int value)
    {
        for (int i = into.Length - 1; i >= 0; i--, value /= 10)
            into[i] = (char)('0' + value % 10);
    }
}
