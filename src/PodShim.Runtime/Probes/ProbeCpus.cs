using PodShim.Interop;

namespace PodShim.Runtime.Probes;

/// <summary>
/// The CPUs the probe timer's waiters and the probe threads are pinned to: two far apart in the
/// process's affinity (likely different cores), or none when the process may use only one CPU.
/// Two, because a CPU that is busy, or a virtual CPU the hypervisor has not scheduled, wakes a
/// thread milliseconds late, and the other one is then almost always on time.
/// </summary>
internal static class ProbeCpus
{
    private static readonly Lazy<int[]> Chosen = new(() => Choose(CpuAffinity.OfCurrentThread()));

    public static int[] Spread => Chosen.Value;

    internal static int[] Choose(int[] allowed) => allowed.Length < 2 ? [] : [allowed[0], allowed[allowed.Length / 2]];

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
