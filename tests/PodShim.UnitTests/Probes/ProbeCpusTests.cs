using PodShim.Interop;
using PodShim.Runtime.Probes;
using Xunit;

namespace PodShim.UnitTests.Probes;

public sealed class ProbeCpusTests
{
    [Theory]
    [InlineData(new int[0], new int[0])]
    [InlineData(new[] { 3 }, new int[0])]
    [InlineData(new[] { 0, 1 }, new[] { 0, 1 })]
    [InlineData(new[] { 0, 1, 2, 3, 4, 5, 6, 7 }, new[] { 0, 4 })]
    [InlineData(new[] { 2, 5, 9 }, new[] { 2, 5 })]
    public void Two_cpus_far_apart_in_the_allowed_set_or_none_when_there_is_one(int[] allowed, int[] chosen)
    {
        Assert.Equal(chosen, ProbeCpus.Choose(allowed));
    }

    [Fact]
    public void A_cpu_the_thread_may_not_use_leaves_it_unpinned_instead_of_failing()
    {
        int[] before = CpuAffinity.OfCurrentThread();
        int[]? after = null, pinned = null;
        var thread = new Thread(() =>
        {
            ProbeCpus.TryPin(1023); // no such CPU here: sched_setaffinity fails with EINVAL
            after = CpuAffinity.OfCurrentThread();
            ProbeCpus.TryPin(before[^1]);
            pinned = CpuAffinity.OfCurrentThread();
        });
        thread.Start();
        thread.Join();
        Assert.Equal(before, after!);
        Assert.Equal([before[^1]], pinned!);
    }
}
