using PodShim.Interop;
using PodShim.UnitTests.Fakes;
using Xunit;

namespace PodShim.UnitTests.Interop;

public sealed class CpuAffinityTests
{
    [Fact]
    public void The_calling_thread_may_run_on_the_cpu_it_runs_on()
    {
        int[] allowed = CpuAffinity.OfCurrentThread();
        Assert.NotEmpty(allowed);
        Assert.Equal(allowed.Order(), allowed);
        Assert.Contains(CpuAffinity.CurrentCpu(), allowed);
    }

    [TwoCpuFact]
    public void A_pinned_thread_runs_only_on_its_cpu_and_other_threads_keep_theirs()
    {
        int[] allowed = CpuAffinity.OfCurrentThread();
        int last = allowed[^1];
        (int[] mask, int[] cpusSeen) = OwnThread.Run(() =>
        {
            CpuAffinity.PinCurrentThread(last);
            var seen = new HashSet<int>();
            for (int i = 0; i < 200; i++)
            {
                seen.Add(CpuAffinity.CurrentCpu());
                Thread.Yield();
            }
            return (CpuAffinity.OfCurrentThread(), seen.ToArray());
        });
        Assert.Equal([last], mask);
        Assert.Equal([last], cpusSeen);
        Assert.Equal(allowed, CpuAffinity.OfCurrentThread());
    }

    [Fact]
    public void Pinning_to_a_cpu_out_of_range_names_the_call()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => CpuAffinity.PinCurrentThread(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => CpuAffinity.PinCurrentThread(8192));
        // A CPU this machine lacks: the kernel refuses an empty set.
        var e = OwnThread.Run(() => Record.Exception(() => CpuAffinity.PinCurrentThread(1023)));
        var native = Assert.IsType<NativeException>(e);
        Assert.Equal("sched_setaffinity(cpu 1023): EINVAL", native.Message);
    }
}
