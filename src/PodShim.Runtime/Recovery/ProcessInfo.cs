using System.Globalization;

namespace PodShim.Runtime.Recovery;

/// <summary>
/// What /proc says about one process: its state, parent and start time (clock ticks since boot, which
/// with the pid identifies a process for good: a recycled pid has another start time).
/// </summary>
public sealed record ProcessInfo(int Pid, char State, int ParentPid, ulong StartTicks)
{
    public const string DefaultProcRoot = "/proc";

    /// <summary>A zombie has exited: only its parent's wait is missing.</summary>
    public bool IsAlive => State is not ('Z' or 'X' or 'x');

    /// <summary>Reads /proc/PID/stat; null when there is no such process.</summary>
    public static ProcessInfo? Read(int pid, string procRoot = DefaultProcRoot)
    {
        if (pid <= 0)
            return null;
        string stat;
        try
        {
            stat = File.ReadAllText(Path.Combine(procRoot, pid.ToString(CultureInfo.InvariantCulture), "stat"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        return Parse(pid, stat);
    }

    /// <summary>Parses a stat line: the command name is in parentheses and may itself hold spaces and ')'.</summary>
    public static ProcessInfo? Parse(int pid, string stat)
    {
        int close = stat.LastIndexOf(')');
        if (close < 0 || close + 2 >= stat.Length)
            return null;
        string[] f = stat[(close + 2)..].Split(' ');
        // After the name: state(3) ppid(4) ... starttime(22): indexes 0, 1 and 19 here.
        if (f.Length < 20
            || !int.TryParse(f[1], NumberStyles.None, CultureInfo.InvariantCulture, out int ppid)
            || !ulong.TryParse(f[19], NumberStyles.None, CultureInfo.InvariantCulture, out ulong start)
            || f[0].Length != 1)
            return null;
        return new ProcessInfo(pid, f[0][0], ppid, start);
    }

    /// <summary>The process's argv (NUL-separated in /proc/PID/cmdline); empty when gone or a kernel thread.</summary>
    public static IReadOnlyList<string> CommandLine(int pid, string procRoot = DefaultProcRoot)
    {
        try
        {
            string text = File.ReadAllText(Path.Combine(procRoot, pid.ToString(CultureInfo.InvariantCulture), "cmdline"));
            return text.Split('\0', StringSplitOptions.RemoveEmptyEntries);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>The boot time (seconds since the epoch) from /proc/stat's btime line.</summary>
    public static long BootTime(string procRoot = DefaultProcRoot)
    {
        foreach (string line in File.ReadLines(Path.Combine(procRoot, "stat")))
            if (line.StartsWith("btime ", StringComparison.Ordinal))
                return long.Parse(line.AsSpan(6).Trim(), CultureInfo.InvariantCulture);
        throw new InvalidDataException($"{procRoot}/stat: no btime line");
    }

    /// <summary>When the process started, in wall-clock time (clock ticks are USER_HZ, 100 on Linux).</summary>
    public DateTimeOffset StartedAt(long bootTime) =>
        DateTimeOffset.FromUnixTimeSeconds(bootTime).AddTicks((long)StartTicks * (TimeSpan.TicksPerSecond / 100));
}
