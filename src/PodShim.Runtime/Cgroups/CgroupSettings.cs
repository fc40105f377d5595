using System.Globalization;
using PodShim.Manifest;

namespace PodShim.Runtime.Cgroups;

/// <summary>One value written to a cgroup interface file.</summary>
public readonly record struct CgroupValue(string File, string Value);

/// <summary>
/// What the pod's cgroup and each container's cgroup get, as a pure function of the pod (values per
/// reference/pod-semantics.md: kubelet ResourceConfigForPod and calculateLinuxResources, with runc's
/// shares-to-weight conversion). The manager only writes these.
/// </summary>
public static class CgroupSettings
{
    /// <summary>pids.max of a pod when none is configured (kubelet's podPidsLimit is unlimited by default; we are not).</summary>
    public const long DefaultPodPidsLimit = 4096;

    /// <summary>The holder (podshim-pause) is one process that never forks.</summary>
    public const long HolderPidsMax = 4;

    /// <summary>kubelet MemoryQoS: memory.high = request + factor·(limit − request), rounded down to a page.</summary>
    public const double MemoryThrottlingFactor = 0.9;
    public const long PageSize = 4096;

    /// <summary>The pod cgroup: effective cpu.weight, cpu.max, memory.max, and the pod's pids.max.</summary>
    public static IReadOnlyList<CgroupValue> ForPod(EffectiveResources resources, long podPidsLimit)
    {
        ArgumentNullException.ThrowIfNull(resources);
        CgroupValues pod = resources.PodCgroup;
        return
        [
            new("cpu.weight", Text(pod.CpuWeight)),
            new("cpu.max", pod.CpuMax),
            new("memory.max", pod.MemoryMaxText),
            new("pids.max", Text(podPidsLimit)),
        ];
    }

    /// <summary>
    /// One container attempt's cgroup: its own limits, its share of the pod's pids, and
    /// memory.oom.group=1 so that an OOM kill takes the whole container, never half of it.
    /// </summary>
    public static IReadOnlyList<CgroupValue> ForContainer(ContainerResources container, long pidsMax)
    {
        ArgumentNullException.ThrowIfNull(container);
        CgroupValues cg = container.Cgroup;
        var values = new List<CgroupValue>(7)
        {
            new("memory.max", cg.MemoryMaxText),
        };
        if (MemoryHigh(container) is long high)
            values.Add(new("memory.high", Text(high)));
        values.Add(new("cpu.weight", Text(cg.CpuWeight)));
        values.Add(new("cpu.max", cg.CpuMax));
        values.Add(new("pids.max", Text(pidsMax)));
        values.Add(new("memory.oom.group", "1"));
        return values;
    }

    /// <summary>The holder's cgroup: it only needs room for itself.</summary>
    public static IReadOnlyList<CgroupValue> ForHolder() => [new("pids.max", Text(HolderPidsMax))];

    /// <summary>
    /// memory.high where it applies (kubelet MemoryQoS): a container with a memory limit above its
    /// request is throttled at request + 0.9·(limit − request), page-aligned, before it reaches the
    /// limit. Null when limit = request (Guaranteed), without a limit, or when the result is not above
    /// the request.
    /// </summary>
    public static long? MemoryHigh(ContainerResources container)
    {
        ArgumentNullException.ThrowIfNull(container);
        container.Limits.TryGetValue("memory", out Quantity limitQ);
        container.Requests.TryGetValue("memory", out Quantity requestQ);
        long limit = limitQ.Value, request = requestQ.Value;
        if (limit == 0 || request == limit)
            return null;
        long high = (long)Math.Floor((request + MemoryThrottlingFactor * (limit - request)) / PageSize) * PageSize;
        return high > request ? high : null;
    }

    /// <summary>
    /// Each container's pids.max: the pod's limit less the holder's, shared equally by the most
    /// containers that can run at once (apps + sidecars, or an init container with the sidecars
    /// started before it), so that no container can take the pids another one needs.
    /// </summary>
    public static long ContainerPidsMax(PodSpec spec, long podPidsLimit)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return Math.Max(1, (podPidsLimit - HolderPidsMax) / ConcurrentContainers(spec));
    }

    /// <summary>The most containers of the pod that run at the same time (the resource aggregation rule, counting 1 each).</summary>
    public static int ConcurrentContainers(PodSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        int sidecars = 0, initPeak = 0;
        foreach (Container c in spec.InitContainers)
        {
            if (c.IsSidecar)
                initPeak = Math.Max(initPeak, ++sidecars);
            else
                initPeak = Math.Max(initPeak, sidecars + 1);
        }
        return Math.Max(1, Math.Max(spec.Containers.Count + sidecars, initPeak));
    }

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);
}
