using PodShim.Interop;
using Xunit;

namespace PodShim.UnitTests.Fakes;

/// <summary>A fact about pinning threads to different CPUs: skipped, with its reason, where the
/// process may use only one CPU (CI's machine has two).</summary>
public sealed class TwoCpuFactAttribute : FactAttribute
{
    public TwoCpuFactAttribute()
    {
        if (CpuAffinity.OfCurrentThread().Length < 2)
            Skip = "needs a process allowed on two CPUs or more";
    }
}
