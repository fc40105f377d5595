using System.Diagnostics;

namespace PodShim.Runtime.State;

/// <summary>
/// Where start-up time goes: with PODSHIM_TRACE=1, each <see cref="Mark"/> prints the time since the
/// process started to stderr. Off (one static bool test) otherwise.
/// </summary>
public static class StartupTrace
{
    private static readonly bool s_enabled = Environment.GetEnvironmentVariable("PODSHIM_TRACE") == "1";

    public static void Mark(string what)
    {
        if (!s_enabled)
            return;
        double ms = (DateTime.Now - Process.GetCurrentProcess().StartTime).TotalMilliseconds;
        // Methods the JIT compiled so far (on any thread) and its total time: what ReadyToRun did not cover.
        long jitted = System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: false);
        double jitMs = System.Runtime.JitInfo.GetCompilationTime(currentThread: false).TotalMilliseconds;
        // CPU time of the whole process so far: on a busy machine a steadier figure than the wall clock.
        double cpuMs = Environment.CpuUsage.TotalTime.TotalMilliseconds;
        Console.Error.WriteLine($"trace {ms,8:F1} ms  cpu {cpuMs,6:F1} ms  {what,-28} jitted {jitted,5} ({jitMs,6:F1} ms)");
    }
}
