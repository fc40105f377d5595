namespace PodShim.Interop;

/// <summary>The CPUs a thread may run on (sched_getaffinity/sched_setaffinity of the calling thread).</summary>
public static class CpuAffinity
{
    // 8192 CPUs, the kernel's largest NR_CPUS (glibc's 1024-bit cpu_set_t makes sched_getaffinity
    // fail with EINVAL on a kernel built for more).
    private const int MaskBytes = 1024;

    /// <summary>The CPUs the calling thread may run on, in ascending order.</summary>
    public static unsafe int[] OfCurrentThread()
    {
        byte* mask = stackalloc byte[MaskBytes];
        new Span<byte>(mask, MaskBytes).Clear();
        NativeException.ThrowIfMinusOne(Interop.SchedGetAffinity(0, MaskBytes, mask), "sched_getaffinity", "0");
        var cpus = new List<int>();
        for (int cpu = 0; cpu < MaskBytes * 8; cpu++)
            if ((mask[cpu / 8] & (1 << (cpu % 8))) != 0)
                cpus.Add(cpu);
        return cpus.ToArray();
    }

    /// <summary>The CPU the calling thread is running on (it may move at any time unless pinned), or -1
    /// if the kernel cannot tell.</summary>
    public static int CurrentCpu() => Interop.SchedGetCpu();

    /// <summary>Lets the calling thread run only on <paramref name="cpu"/>.</summary>
    public static unsafe void PinCurrentThread(int cpu)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(cpu);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(cpu, MaskBytes * 8);
        byte* mask = stackalloc byte[MaskBytes];
        new Span<byte>(mask, MaskBytes).Clear();
        mask[cpu / 8] = (byte)(1 << (cpu % 8));
        NativeException.ThrowIfMinusOne(Interop.SchedSetAffinity(0, MaskBytes, mask), "sched_setaffinity",
            string.Create(System.Globalization.CultureInfo.InvariantCulture, $"cpu {cpu}"));
    }
}
