using System.Globalization;
using PodShim.Interop;

namespace PodShim.Runtime.Probes;

/// <summary>
/// The CPUs the probe timer's waiters and the probe threads of this process are pinned to: two on
/// different cores, or none when the process may use only one CPU. Two, because a CPU that is busy,
/// or a virtual CPU the hypervisor has not scheduled, wakes a thread milliseconds late, and the other
/// one is then almost always on time; hardware threads of one core are descheduled together. Each
/// supervisor (one per pod) starts its pair at a CPU picked by its pid, so that many pods spread their
/// probe threads over the machine instead of all loading CPU 0.
/// </summary>
internal static class ProbeCpus
{
    private static readonly Lazy<int[]> Chosen = new(() =>
    {
        try
        {
            return Choose(CpuAffinity.OfCurrentThread(), Environment.ProcessId, SiblingsOf);
        }
        catch (NativeException)
        {
            return []; // the affinity cannot be read: unpinned, as on one CPU
        }
    });

    public static int[] Spread => Chosen.Value;

    /// <summary>The first CPU is <paramref name="allowed"/>[seed mod count]; the second, looking from the
    /// CPU half the list away, the first that is not a hardware thread of the first's core (or just the
    /// one half the list away when every allowed CPU is on that core).</summary>
    internal static int[] Choose(int[] allowed, int seed, Func<int, int[]> siblingsOf)
    {
        int n = allowed.Length;
        if (n < 2)
            return [];
        int i = (int)((uint)seed % (uint)n);
        int first = allowed[i];
        int[] siblings = siblingsOf(first);
        for (int k = 0; k < n; k++)
        {
            int candidate = allowed[(i + n / 2 + k) % n];
            if (candidate != first && Array.IndexOf(siblings, candidate) < 0)
                return [first, candidate];
        }
        return [first, allowed[(i + n / 2) % n]];
    }

    /// <summary>The hardware threads of <paramref name="cpu"/>'s core, from sysfs (just the CPU itself if unknown).</summary>
    private static int[] SiblingsOf(int cpu)
    {
        try
        {
            return ParseList(File.ReadAllText(
                string.Create(CultureInfo.InvariantCulture, $"/sys/devices/system/cpu/cpu{cpu}/topology/thread_siblings_list")));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or OverflowException)
        {
            return [cpu];
        }
    }

    /// <summary>The kernel's CPU list format: "0-3,8,10-11".</summary>
    internal static int[] ParseList(string text)
    {
        var cpus = new List<int>();
        foreach (string part in text.Trim().Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            int dash = part.IndexOf('-');
            int from = int.Parse(dash < 0 ? part : part[..dash], NumberStyles.None, CultureInfo.InvariantCulture);
            int to = dash < 0 ? from : int.Parse(part[(dash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture);
            if (to < from)
                throw new FormatException($"CPU range {part}");
            for (int cpu = from; cpu <= to; cpu++)
                cpus.Add(cpu);
        }
        return cpus.ToArray();
    }

    /// <summary>Pins the calling thread to <paramref name="cpu"/> (-1: leaves it unpinned). A CPU taken
    /// away since (hot-unplugged, or out of the cgroup's cpuset) leaves the thread unpinned: it is then
    /// less punctual, not wrong, and a supervisor must not die of it.</summary>
    public static void TryPin(int cpu)
    {
        if (cpu < 0)
            return;
        try
        {
            CpuAffinity.PinCurrentThread(cpu);
        }
        catch (NativeException)
        {
        }
    }
}
