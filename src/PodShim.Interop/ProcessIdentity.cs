namespace PodShim.Interop;

/// <summary>
/// Who a container's process runs as and what it may gain: what the native core sets between clone and
/// execve (setgroups, setresgid, setresuid, the capability bounding set, no_new_privs), the same for a
/// container's own process and for everything exec'd into it (hooks, probes, `podshim exec`).
/// </summary>
public sealed record ProcessIdentity
{
    public uint Uid { get; init; }
    public uint Gid { get; init; }
    public IReadOnlyList<uint> SupplementalGroups { get; init; } = [];
    public bool NoNewPrivileges { get; init; }
    public ulong CapabilityBoundingSet { get; init; }
}
