using System.Globalization;

namespace PodShim.Runtime.State;

/// <summary>
/// Parses the RFC 3339 times podshim's own state files hold (<c>2026-11-22T06:14:00Z</c>, with up to 7 fraction
/// digits, or an offset) by hand: the framework's date parser costs tens of milliseconds the first time a process uses
/// it, which every `podshim get` would pay. Anything else goes to that parser.
/// </summary>
public static class Rfc3339
{
    public static DateTimeOffset Parse(string s)
    {
        if (TryParseFast(s, out DateTimeOffset t))
            return t;
        return DateTimeOffset.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
    }

    private static bool TryParseFast(string s, out DateTimeOffset time)
    {
        time = default;
        // yyyy-MM-ddTHH:mm:ss[.fffffff](Z|±hh:mm)
        if (s.Length < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':')
            return false;
        if (!Digits(s, 0, 4, out int year) || !Digits(s, 5, 2, out int month) || !Digits(s, 8, 2, out int day)
            || !Digits(s, 11, 2, out int hour) || !Digits(s, 14, 2, out int minute) || !Digits(s, 17, 2, out int second))
            return false;
        int i = 19;
        long ticks = 0;
        if (i < s.Length && s[i] == '.')
        {
            i++;
            int digits = 0;
            while (i < s.Length && char.IsAsciiDigit(s[i]))
            {
                if (digits < 7)
                    ticks = ticks * 10 + (s[i] - '0');
                digits++;
                i++;
            }
            if (digits == 0)
                return false;
            for (int d = digits; d < 7; d++)
                ticks *= 10;
        }
        TimeSpan offset;
        if (i == s.Length - 1 && (s[i] == 'Z' || s[i] == 'z'))
            offset = TimeSpan.Zero;
        else if (i == s.Length - 6 && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':'
                 && Digits(s, i + 1, 2, out int oh) && Digits(s, i + 4, 2, out int om))
            offset = new TimeSpan(s[i] == '-' ? -oh : oh, s[i] == '-' ? -om : om, 0);
        else
            return false;
        if (month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59)
            return false;
        time = new DateTimeOffset(year, month, day, hour, minute, second, offset).AddTicks(ticks).ToUniversalTime();
        return true;
    }

    private static bool Digits(string s, int start, int count, out int value)
    {
        value = 0;
        for (int i = start; i < start + count; i++)
        {
            if (!char.IsAsciiDigit(s[i]))
                return false;
            value = value * 10 + (s[i] - '0');
        }
        return true;
    }
}
