using PodShim.Interop;
using PodShim.Runtime.Probes;
using PodShim.UnitTests.Fakes;
using Xunit;

namespace PodShim.UnitTests.Probes;

public sealed class ProbeCpusTests
{
    private static int[] NoSiblings(int cpu) => [cpu];

    [Theory]
    [InlineData(new int[0], 0, new int[0])]
    [InlineData(new[] { 3 }, 7, new int[0])]
    [InlineData(new[] { 0, 1 }, 0, new[] { 0, 1 })]
    [InlineData(new[] { 0, 1 }, 1, new[] { 1, 0 })]
    [InlineData(new[] { 0, 1, 2, 3, 4, 5, 6, 7 }, 0, new[] { 0, 4 })]
    [InlineData(new[] { 0, 1, 2, 3, 4, 5, 6, 7 }, 13, new[] { 5, 1 })]
    [InlineData(new[] { 2, 5, 9 }, 2, new[] { 9, 2 })]
    public void The_pair_starts_at_the_cpu_the_seed_picks_and_goes_half_the_list_away(int[] allowed, int seed, int[] chosen)
    {
        Assert.Equal(chosen, ProbeCpus.Choose(allowed, seed, NoSiblings));
    }

    [Fact]
    public void The_second_cpu_is_never_a_hardware_thread_of_the_first_ones_core()
    {
        // Numbered as x86 Linux does: cpu i and i + 4 are the two threads of core i.
        int[] Siblings(int cpu) => [cpu % 4, cpu % 4 + 4];
        int[] all = [0, 1, 2, 3, 4, 5, 6, 7];
        for (int seed = 0; seed < 8; seed++)
        {
            int[] pair = ProbeCpus.Choose(all, seed, Siblings);
            Assert.Equal(seed, pair[0]);
            Assert.NotEqual(pair[0] % 4, pair[1] % 4);
        }
        // Only the two threads of one core allowed: they are what there is.
        Assert.Equal([1, 5], ProbeCpus.Choose([1, 5], 0, Siblings));
    }

    [Fact]
    public void Pids_spread_the_first_cpu_over_every_allowed_one()
    {
        int[] all = [0, 1, 2, 3, 4, 5, 6, 7];
        var firsts = Enumerable.Range(1000, 64).Select(pid => ProbeCpus.Choose(all, pid, NoSiblings)[0]).ToHashSet();
        Assert.Equal(all, firsts.Order());
    }

    [Theory]
    [InlineData("0", new[] { 0 })]
    [InlineData("0-3\n", new[] { 0, 1, 2, 3 })]
    [InlineData("0,4", new[] { 0, 4 })]
    [InlineData("1-2,8,10-11", new[] { 1, 2, 8, 10, 11 })]
    public void Kernel_cpu_lists_parse(string text, int[] cpus)
    {
        Assert.Equal(cpus, ProbeCpus.ParseList(text));
    }

    [Theory]
    [InlineData("a")]
    [InlineData("3-1")]
    [InlineData("-1")]
    public void Malformed_cpu_lists_are_refused(string text)
    {
        Assert.Throws<FormatException>(() => ProbeCpus.ParseList(text));
    }

    [Fact]
    public void A_cpu_the_thread_may_not_use_leaves_it_unpinned_instead_of_failing()
    {
        int[] before = CpuAffinity.OfCurrentThread();
        (int[] after, int[] pinned) = OwnThread.Run(() =>
        {
            ProbeCpus.TryPin(1023); // no such CPU here: sched_setaffinity fails with EINVAL
            int[] unpinned = CpuAffinity.OfCurrentThread();
            ProbeCpus.TryPin(before[^1]);
            return (unpinned, CpuAffinity.OfCurrentThread());
        });
        Assert.Equal(before, after);
        Assert.Equal([before[^1]], pinned);
    }
}
