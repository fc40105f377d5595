using System.Diagnostics;
using System.Globalization;

namespace PodShim.Runtime.State;

/// <summary>
/// Where start-up time goes: with PODSHIM_TRACE set, each <see cref="Mark"/> records the time since the
/// process started, and all marks are printed to stderr when the process exits (printing as they come
/// would put the cost of formatting and of the console's first use into the figures).
/// PODSHIM_TRACE=1 takes the start from the kernel's process start time (10 ms ticks);
/// PODSHIM_TRACE=&lt;Unix time in ns&gt; (`PODSHIM_TRACE=$(date +%s%N) podshim ...`) from the caller's clock just
/// before the exec, to the microsecond. Off (one static bool test) otherwise.
/// </summary>
public static class StartupTrace
{
    private readonly record struct Entry(string What, long UtcTicks, TimeSpan Cpu, long Jitted, TimeSpan JitTime);

    private static readonly string? s_setting = Environment.GetEnvironmentVariable("PODSHIM_TRACE");
    private static readonly bool s_enabled = !string.IsNullOrEmpty(s_setting) && s_setting != "0";
    private static readonly List<Entry> s_entries = new(64);
    private static readonly Lock s_lock = new();

    public static void Mark(string what)
    {
        if (!s_enabled)
            return;
        long now = DateTime.UtcNow.Ticks;
        // Methods the JIT compiled so far (on any thread) and its total time: what ReadyToRun did not cover.
        // CPU time of the whole process so far: on a busy machine a steadier figure than the wall clock.
        var entry = new Entry(what, now, Environment.CpuUsage.TotalTime, System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: false),
            System.Runtime.JitInfo.GetCompilationTime(currentThread: false));
        lock (s_lock)
        {
            if (s_entries.Count == 0)
            {
                AppDomain.CurrentDomain.ProcessExit += (_, _) => Print();
                // A thrown exception is costly on a cold path (stack trace, resources): each one is shown.
                AppDomain.CurrentDomain.FirstChanceException += (_, e) => Mark($"exception {e.Exception.GetType().Name}: {e.Exception.Message}");
            }
            s_entries.Add(entry);
        }
    }

    private static void Print()
    {
        DateTime start = long.TryParse(s_setting, NumberStyles.None, CultureInfo.InvariantCulture, out long ns) && ns > 1
            ? DateTime.UnixEpoch.AddTicks(ns / 100)
            : Process.GetCurrentProcess().StartTime.ToUniversalTime();
        lock (s_lock)
            foreach (Entry e in s_entries)
                Console.Error.WriteLine($"trace {(e.UtcTicks - start.Ticks) / 1e4,8:F1} ms  cpu {e.Cpu.TotalMilliseconds,6:F1} ms  {e.What,-28} " +
                                        $"jitted {e.Jitted,5} ({e.JitTime.TotalMilliseconds,6:F1} ms)");
    }
}
