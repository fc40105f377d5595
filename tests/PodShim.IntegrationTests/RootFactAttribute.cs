using PodShim.Interop;

namespace PodShim.IntegrationTests;

/// <summary>A fact that needs root (namespaces, mounts); skipped with the reason printed otherwise.</summary>
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        if (!Posix.IsRoot)
            Skip = "requires root: creates namespaces and mounts (CI runs as root)";
    }
}

/// <summary>A root fact about CPU affinity: also skipped, with the reason, where the process may use only one CPU.</summary>
public sealed class RootTwoCpuFactAttribute : FactAttribute
{
    public RootTwoCpuFactAttribute()
    {
        if (!Posix.IsRoot)
            Skip = "requires root: creates namespaces and mounts (CI runs as root)";
        else if (CpuAffinity.OfCurrentThread().Length < 2)
            Skip = "needs a process allowed on two CPUs or more (CI's machine has two)";
    }
}

public sealed class RootTheoryAttribute : TheoryAttribute
{
    public RootTheoryAttribute()
    {
        if (!Posix.IsRoot)
            Skip = "requires root: creates namespaces and mounts (CI runs as root)";
    }
}
