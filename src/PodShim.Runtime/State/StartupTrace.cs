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
        Console.Error.WriteLine($"trace {ms,8:F1} ms  {what}");
    }
}
