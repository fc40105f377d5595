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

public sealed class RootTheoryAttribute : TheoryAttribute
{
    public RootTheoryAttribute()
    {
        if (!Posix.IsRoot)
            Skip = "requires root: creates namespaces and mounts (CI runs as root)";
    }
}
