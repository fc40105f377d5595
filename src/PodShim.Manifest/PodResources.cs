namespace PodShim.Manifest;

/// <summary>cgroup v2 values for a pod or a container.</summary>
/// <param name="CpuShares">cgroup v1 shares (kubelet MilliCPUToShares): 2..262144.</param>
/// <param name="CpuQuota">CFS quota in µs per <paramref name="CpuPeriod"/>; null means no limit ("max").</param>
/// <param name="MemoryMax">Bytes; null means no limit ("max").</param>
public sealed record CgroupValues(long CpuShares, long? CpuQuota, long CpuPeriod, long? MemoryMax)
{
    /// <summary><c>cpu.weight</c> = 1 + (shares − 2)·9999/262142.</summary>
    public long CpuWeight => PodResources.SharesToWeight(CpuShares);

    /// <summary>The <c>cpu.max</c> file's content: <c>"quota period"</c> or <c>"max period"</c>.</summary>
    public string CpuMax => $"{(CpuQuota is long q ? q.ToString(System.Globalization.CultureInfo.InvariantCulture) : "max")} {CpuPeriod}";

    /// <summary>The <c>memory.max</c> file's content: bytes or <c>"max"</c>.</summary>
    public string MemoryMaxText => MemoryMax is long m ? m.ToString(System.Globalization.CultureInfo.InvariantCulture) : "max";
}

/// <summary>One container's resources and cgroup values.</summary>
public sealed record ContainerResources(
    string Name,
    bool IsInit,
    bool IsSidecar,
    IReadOnlyDictionary<string, Quantity> Requests,
    IReadOnlyDictionary<string, Quantity> Limits,
    CgroupValues Cgroup);

/// <summary>The pod's effective requests and limits, QoS class and pod-level cgroup values.</summary>
public sealed record EffectiveResources(
    IReadOnlyDictionary<string, Quantity> Requests,
    IReadOnlyDictionary<string, Quantity> Limits,
    string QosClass,
    CgroupValues PodCgroup,
    IReadOnlyList<ContainerResources> Containers);

/// <summary>
/// Effective pod resources (kubernetes/component-helpers resource/helpers.go PodRequests/PodLimits,
/// pkg/apis/core/helper/qos, and kubelet cm.ResourceConfigForPod / calculateLinuxResources), as a pure function.
/// </summary>
public static class PodResources
{
    public const long MinShares = 2;
    public const long MaxShares = 262144;
    public const long SharesPerCpu = 1024;
    public const long QuotaPeriod = 100_000;
    public const long MinQuotaPeriod = 1000;

    public static long MilliCpuToShares(long milliCpu)
    {
        if (milliCpu == 0) return MinShares;
        long shares = milliCpu * SharesPerCpu / 1000;
        return Math.Clamp(shares, MinShares, MaxShares);
    }

    /// <summary>0 means no quota.</summary>
    public static long MilliCpuToQuota(long milliCpu, long period = QuotaPeriod)
    {
        if (milliCpu == 0) return 0;
        long quota = milliCpu * period / 1000;
        return Math.Max(quota, MinQuotaPeriod);
    }

    public static long SharesToWeight(long shares) => shares == 0 ? 0 : 1 + (shares - 2) * 9999 / 262142;

    public static EffectiveResources Compute(PodSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var requests = Aggregate(spec, c => c.Resources.Requests);
        foreach (var (name, q) in spec.Overhead) Add(requests, name, q);
        var limits = Aggregate(spec, c => c.Resources.Limits);
        foreach (var (name, q) in spec.Overhead)
            if (limits.TryGetValue(name, out var l)) limits[name] = l + q;

        // A limit applies to the pod only when every container declares it, init containers as kubelet's
        // PodLimits ContainerFn sees them: a sidecar with the sidecars before it, a regular init
        // container with the sidecars started before it.
        bool cpuLimitsDeclared = true, memoryLimitsDeclared = true;
        void Declared(IReadOnlyDictionary<string, Quantity> list)
        {
            if (!list.TryGetValue("cpu", out var cl) || cl.IsZero) cpuLimitsDeclared = false;
            if (!list.TryGetValue("memory", out var ml) || ml.IsZero) memoryLimitsDeclared = false;
        }
        foreach (var c in spec.Containers)
            Declared(c.Resources.Limits);
        var sidecarLimits = new Dictionary<string, Quantity>(StringComparer.Ordinal);
        foreach (var c in spec.InitContainers)
        {
            var seen = new Dictionary<string, Quantity>(StringComparer.Ordinal);
            foreach (var (name, q) in c.Resources.Limits)
            {
                Add(seen, name, q);
                if (c.IsSidecar) Add(sidecarLimits, name, q);
            }
            if (c.IsSidecar)
                Declared(sidecarLimits);
            else
            {
                foreach (var (name, q) in sidecarLimits) Add(seen, name, q);
                Declared(seen);
            }
        }

        string qos = QosClass(spec);
        long cpuRequests = requests.TryGetValue("cpu", out var cr) ? cr.MilliValue : 0;
        long cpuLimits = limits.TryGetValue("cpu", out var clim) ? clim.MilliValue : 0;
        long memoryLimits = limits.TryGetValue("memory", out var mlim) ? mlim.Value : 0;
        long shares = MilliCpuToShares(cpuRequests);
        long quota = MilliCpuToQuota(cpuLimits);
        CgroupValues pod = qos switch
        {
            "Guaranteed" => new CgroupValues(shares, NoneIfZero(quota), QuotaPeriod, memoryLimits),
            "Burstable" => new CgroupValues(shares, cpuLimitsDeclared ? NoneIfZero(quota) : null, QuotaPeriod,
                memoryLimitsDeclared ? memoryLimits : null),
            _ => new CgroupValues(MinShares, null, QuotaPeriod, null),
        };

        var containers = new List<ContainerResources>();
        foreach (var c in spec.InitContainers) containers.Add(ForContainer(c, isInit: true));
        foreach (var c in spec.Containers) containers.Add(ForContainer(c, isInit: false));
        return new EffectiveResources(requests, limits, qos, pod, containers);
    }

    private static long? NoneIfZero(long v) => v == 0 ? null : v;

    /// <summary>kubelet calculateLinuxResources for one container.</summary>
    public static ContainerResources ForContainer(Container c, bool isInit)
    {
        c.Resources.Requests.TryGetValue("cpu", out var cpuReq);
        c.Resources.Limits.TryGetValue("cpu", out var cpuLim);
        c.Resources.Limits.TryGetValue("memory", out var memLim);
        long shares = cpuReq.IsZero && !cpuLim.IsZero
            ? MilliCpuToShares(cpuLim.MilliValue)
            : MilliCpuToShares(cpuReq.MilliValue);
        long quota = MilliCpuToQuota(cpuLim.MilliValue);
        long mem = memLim.Value;
        var cg = new CgroupValues(shares, NoneIfZero(quota), QuotaPeriod, mem == 0 ? null : mem);
        return new ContainerResources(c.Name, isInit, isInit && c.IsSidecar, c.Resources.Requests, c.Resources.Limits, cg);
    }

    /// <summary>AggregateContainerRequests/Limits: max(Σ apps + Σ sidecars, each init step's candidate).</summary>
    private static Dictionary<string, Quantity> Aggregate(PodSpec spec, Func<Container, IReadOnlyDictionary<string, Quantity>> select)
    {
        var result = new Dictionary<string, Quantity>(StringComparer.Ordinal);
        foreach (var c in spec.Containers)
            foreach (var (name, q) in select(c)) Add(result, name, q);
        var sidecars = new Dictionary<string, Quantity>(StringComparer.Ordinal);
        var init = new Dictionary<string, Quantity>(StringComparer.Ordinal);
        foreach (var c in spec.InitContainers)
        {
            Dictionary<string, Quantity> candidate;
            if (c.IsSidecar)
            {
                foreach (var (name, q) in select(c))
                {
                    Add(result, name, q);
                    Add(sidecars, name, q);
                }
                candidate = sidecars;
            }
            else
            {
                candidate = new Dictionary<string, Quantity>(StringComparer.Ordinal);
                foreach (var (name, q) in select(c)) Add(candidate, name, q);
                foreach (var (name, q) in sidecars) Add(candidate, name, q);
            }
            MaxInto(init, candidate);
        }
        MaxInto(result, init);
        return result;
    }

    private static void Add(Dictionary<string, Quantity> list, string name, Quantity q) =>
        list[name] = list.TryGetValue(name, out var cur) ? cur + q : q;

    /// <summary>maxResourceList: each entry becomes the larger of the two.</summary>
    private static void MaxInto(Dictionary<string, Quantity> list, Dictionary<string, Quantity> other)
    {
        foreach (var (name, q) in other)
        {
            if (!list.TryGetValue(name, out var cur) || q.CompareTo(cur) > 0) list[name] = q;
        }
    }

    /// <summary>The pod's QoS class: Guaranteed, Burstable or BestEffort (qos.GetPodQOS).</summary>
    public static string QosClass(PodSpec spec)
    {
        var requests = new Dictionary<string, Quantity>(StringComparer.Ordinal);
        var limits = new Dictionary<string, Quantity>(StringComparer.Ordinal);
        bool guaranteed = true;
        foreach (var c in spec.Containers.Concat(spec.InitContainers))
        {
            foreach (var (name, q) in c.Resources.Requests)
                if (name is "cpu" or "memory" && q.Sign > 0) Add(requests, name, q);
            var found = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (name, q) in c.Resources.Limits)
            {
                if (name is "cpu" or "memory" && q.Sign > 0)
                {
                    found.Add(name);
                    Add(limits, name, q);
                }
            }
            if (!(found.Contains("cpu") && found.Contains("memory"))) guaranteed = false;
        }
        if (requests.Count == 0 && limits.Count == 0) return "BestEffort";
        if (guaranteed)
        {
            foreach (var (name, req) in requests)
            {
                if (!limits.TryGetValue(name, out var lim) || lim.CompareTo(req) != 0)
                {
                    guaranteed = false;
                    break;
                }
            }
        }
        return guaranteed && requests.Count == limits.Count ? "Guaranteed" : "Burstable";
    }
}
