using System.Globalization;

namespace PodShim.Runtime.Kubectl;

/// <summary>Times as kubectl (Go) prints them.</summary>
public static class GoTime
{
    /// <summary>
    /// time.RFC1123Z in the given zone (kubectl describe prints metav1.Time, which it holds in local time):
    /// <c>Mon, 02 Jan 2006 15:04:05 -0700</c>. Null is Go's zero time.
    /// </summary>
    public static string Rfc1123Z(DateTimeOffset? time, TimeZoneInfo zone)
    {
        if (time is not { } t)
            return "Mon, 01 Jan 0001 00:00:00 +0000";
        DateTimeOffset local = TimeZoneInfo.ConvertTime(t, zone);
        TimeSpan offset = local.Offset;
        string sign = offset < TimeSpan.Zero ? "-" : "+";
        offset = offset.Duration();
        return local.ToString("ddd, dd MMM yyyy HH:mm:ss ", CultureInfo.InvariantCulture)
            + sign + offset.Hours.ToString("00", CultureInfo.InvariantCulture) + offset.Minutes.ToString("00", CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// time.RFC3339Nano in UTC, as `kubectl logs --timestamps` prints a log line's time: trailing zeros of the
    /// fraction dropped (and the dot with them).
    /// </summary>
    public static string Rfc3339Nano(DateTimeOffset time, int extraNanos = 0)
    {
        DateTime utc = time.UtcDateTime;
        long nanos = (utc.Ticks % TimeSpan.TicksPerSecond) * 100 + extraNanos;
        string text = utc.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);
        if (nanos != 0)
            text += "." + nanos.ToString("000000000", CultureInfo.InvariantCulture).TrimEnd('0');
        return text + "Z";
    }

    /// <summary>Parses an RFC 3339 time with up to nine fraction digits (CRI log timestamps), keeping the nanoseconds .NET cannot hold.</summary>
    public static bool TryParseRfc3339(string text, out DateTimeOffset time, out int extraNanos)
    {
        time = default;
        extraNanos = 0;
        int dot = text.IndexOf('.');
        string trimmed = text;
        if (dot > 0)
        {
            int end = dot + 1;
            while (end < text.Length && char.IsAsciiDigit(text[end]))
                end++;
            string fraction = text[(dot + 1)..end];
            if (fraction.Length > 7)
            {
                extraNanos = int.Parse(fraction[7..].PadRight(2, '0')[..2], CultureInfo.InvariantCulture);
                trimmed = text[..(dot + 8)] + text[end..];
            }
        }
        return DateTimeOffset.TryParse(trimmed, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out time);
    }
}
