namespace PodShim.Manifest.Tests;

public class ResourcesTests
{
    private static Container C(string name, string? cpuReq = null, string? cpuLim = null, string? memReq = null, string? memLim = null, bool sidecar = false)
    {
        var req = new Dictionary<string, Quantity>();
        var lim = new Dictionary<string, Quantity>();
        if (cpuReq is not null) req["cpu"] = Quantity.Parse(cpuReq);
        if (memReq is not null) req["memory"] = Quantity.Parse(memReq);
        if (cpuLim is not null) lim["cpu"] = Quantity.Parse(cpuLim);
        if (memLim is not null) lim["memory"] = Quantity.Parse(memLim);
        return new Container
        {
            Name = name,
            Image = "busybox",
            RestartPolicy = sidecar ? "Always" : null,
            Resources = new ResourceRequirements { Requests = req, Limits = lim },
        };
    }

    private static string Show(IReadOnlyDictionary<string, Quantity> list, string name) => list.TryGetValue(name, out var q) ? q.ToString() : "-";

    public static TheoryData<string, Container[], Container[], string, string, string, string, string> Cases() => new()
    {
        // name, init containers, app containers, cpu request, cpu limit, memory request, memory limit, QoS
        { "apps only: sum", [], [C("a", "100m", "200m", "64Mi", "128Mi"), C("b", "200m", "300m", "64Mi", "128Mi")], "300m", "500m", "128Mi", "256Mi", "Burstable" },
        { "init bigger than apps", [C("i", "2", "2", "1Gi", "1Gi")], [C("a", "500m", "500m", "128Mi", "128Mi")], "2", "2", "1Gi", "1Gi", "Guaranteed" },
        { "apps bigger than init", [C("i", "100m", "100m", "64Mi", "64Mi")], [C("a", "1", "1", "1Gi", "1Gi")], "1", "1", "1Gi", "1Gi", "Guaranteed" },
        { "max over init steps", [C("i1", "1", null, "100Mi"), C("i2", "300m", null, "200Mi")], [C("a", "200m", null, "50Mi")], "1", "-", "200Mi", "-", "Burstable" },
        // sidecar s (100m) then init i (500m): candidates s=100m, i=500m+100m=600m; apps 200m+100m=300m -> 600m
        { "sidecar adds to later init and to apps", [C("s", "100m", null, "10Mi", null, sidecar: true), C("i", "500m", null, "10Mi")], [C("a", "200m", null, "10Mi")], "600m", "-", "20Mi", "-", "Burstable" },
        // init i before the sidecar: candidate 500m alone; apps 200m + sidecar 100m = 300m -> 500m
        { "init before sidecar does not see it", [C("i", "500m"), C("s", "100m", sidecar: true)], [C("a", "200m")], "500m", "-", "-", "-", "Burstable" },
        { "sidecars accumulate", [C("s1", "100m", sidecar: true), C("s2", "200m", sidecar: true)], [C("a", "50m")], "350m", "-", "-", "-", "Burstable" },
        { "best effort", [C("i")], [C("a")], "-", "-", "-", "-", "BestEffort" },
        { "limits only count as requests (defaulted by the loader elsewhere)", [], [C("a", null, "1", null, "1Gi")], "-", "1", "-", "1Gi", "Burstable" },
        { "guaranteed with sidecar", [C("s", "100m", "100m", "64Mi", "64Mi", sidecar: true)], [C("a", "1", "1", "1Gi", "1Gi")], "1100m", "1100m", "1088Mi", "1088Mi", "Guaranteed" },
        { "one container without memory limit: burstable", [], [C("a", "1", "1", "1Gi", "1Gi"), C("b", "1", "1")], "2", "2", "1Gi", "1Gi", "Burstable" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void EffectivePodResources(string name, Container[] init, Container[] apps, string cpuReq, string cpuLim, string memReq, string memLim, string qos)
    {
        _ = name;
        var r = PodResources.Compute(new PodSpec { InitContainers = init, Containers = apps });
        Assert.Equal(cpuReq, Show(r.Requests, "cpu"));
        Assert.Equal(cpuLim, Show(r.Limits, "cpu"));
        Assert.Equal(memReq, Show(r.Requests, "memory"));
        Assert.Equal(memLim, Show(r.Limits, "memory"));
        Assert.Equal(qos, r.QosClass);
    }

    [Theory]
    [InlineData(0, 2, 1)]
    [InlineData(1, 2, 1)]
    [InlineData(100, 102, 4)]
    [InlineData(250, 256, 10)]
    [InlineData(1000, 1024, 39)]
    [InlineData(2000, 2048, 79)]
    [InlineData(1_000_000, 262144, 10000)]
    public void SharesAndWeight(long milli, long shares, long weight)
    {
        Assert.Equal(shares, PodResources.MilliCpuToShares(milli));
        Assert.Equal(weight, PodResources.SharesToWeight(shares));
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 1000)]   // minimum 1 ms
    [InlineData(5, 1000)]
    [InlineData(250, 25000)]
    [InlineData(1500, 150000)]
    public void Quota(long milli, long quota) => Assert.Equal(quota, PodResources.MilliCpuToQuota(milli));

    [Fact]
    public void PodCgroupGuaranteed()
    {
        var r = PodResources.Compute(new PodSpec { Containers = [C("a", "500m", "500m", "128Mi", "128Mi")] });
        Assert.Equal("50000 100000", r.PodCgroup.CpuMax);
        Assert.Equal("134217728", r.PodCgroup.MemoryMaxText);
        Assert.Equal(20, r.PodCgroup.CpuWeight); // shares 512
    }

    [Fact]
    public void PodCgroupBurstableAppliesALimitOnlyWhenEveryContainerHasOne()
    {
        var r = PodResources.Compute(new PodSpec { InitContainers = [C("i", "100m")], Containers = [C("a", "500m", "1", "128Mi", "256Mi")] });
        Assert.Equal("Burstable", r.QosClass);
        Assert.Equal("max 100000", r.PodCgroup.CpuMax);
        Assert.Equal("max", r.PodCgroup.MemoryMaxText);
        Assert.Equal(PodResources.SharesToWeight(512), r.PodCgroup.CpuWeight);

        var all = PodResources.Compute(new PodSpec { Containers = [C("a", "500m", "1", "128Mi", "256Mi"), C("b", "100m", "1", "1Mi", "1Mi")] });
        Assert.Equal("200000 100000", all.PodCgroup.CpuMax);
        Assert.Equal((257L * 1024 * 1024).ToString(), all.PodCgroup.MemoryMaxText);
    }

    [Fact]
    public void PodCgroupInitContainerLimitsAreSeenWithTheSidecarsBeforeThem()
    {
        // kubelet PodLimits' ContainerFn gets "setup" as setup + proxy: the sidecar's limits count for it.
        var withSidecarFirst = PodResources.Compute(new PodSpec
        {
            InitContainers = [C("proxy", "100m", "200m", "32Mi", "64Mi", sidecar: true), C("setup", "100m")],
            Containers = [C("a", "500m", "1", "128Mi", "256Mi")],
        });
        Assert.Equal("120000 100000", withSidecarFirst.PodCgroup.CpuMax);       // max(1000m + 200m, 200m)
        Assert.Equal((320L * 1024 * 1024).ToString(), withSidecarFirst.PodCgroup.MemoryMaxText);

        // The same init container before the sidecar: nothing declared for it, so no pod limits.
        var withSetupFirst = PodResources.Compute(new PodSpec
        {
            InitContainers = [C("setup", "100m"), C("proxy", "100m", "200m", "32Mi", "64Mi", sidecar: true)],
            Containers = [C("a", "500m", "1", "128Mi", "256Mi")],
        });
        Assert.Equal("max 100000", withSetupFirst.PodCgroup.CpuMax);
        Assert.Equal("max", withSetupFirst.PodCgroup.MemoryMaxText);
    }

    [Fact]
    public void PodCgroupBestEffort()
    {
        var r = PodResources.Compute(new PodSpec { Containers = [C("a")] });
        Assert.Equal(new CgroupValues(2, null, 100000, null), r.PodCgroup);
        Assert.Equal(1, r.PodCgroup.CpuWeight);
    }

    [Fact]
    public void ContainerCgroupValues()
    {
        var r = PodResources.Compute(new PodSpec { InitContainers = [C("s", null, "250m", null, "64Mi", sidecar: true)], Containers = [C("a", "100m")] });
        var s = r.Containers[0];
        Assert.True(s.IsSidecar);
        Assert.Equal(256, s.Cgroup.CpuShares);      // no request: shares from the limit
        Assert.Equal("25000 100000", s.Cgroup.CpuMax);
        Assert.Equal("67108864", s.Cgroup.MemoryMaxText);
        var a = r.Containers[1];
        Assert.Equal(102, a.Cgroup.CpuShares);
        Assert.Equal("max 100000", a.Cgroup.CpuMax);
        Assert.Equal("max", a.Cgroup.MemoryMaxText);
    }

    [Fact]
    public void OverheadIsAddedToRequestsAndToPresentLimits()
    {
        var spec = new PodSpec
        {
            Containers = [C("a", "100m", "200m", "64Mi")],
            Overhead = new Dictionary<string, Quantity> { ["cpu"] = Quantity.Parse("50m"), ["memory"] = Quantity.Parse("10Mi") },
        };
        var r = PodResources.Compute(spec);
        Assert.Equal("150m", r.Requests["cpu"].ToString());
        Assert.Equal("250m", r.Limits["cpu"].ToString());
        Assert.Equal("74Mi", r.Requests["memory"].ToString());
        Assert.False(r.Limits.ContainsKey("memory"));
    }

    [Fact]
    public void FromYamlWithDefaultedRequests()
    {
        var pod = TestPods.LoadPod(TestPods.Full);
        var r = PodResources.Compute(pod.Spec);
        Assert.Equal("350m", r.Requests["cpu"].ToString());   // app 250m + sidecar 100m
        Assert.Equal("700m", r.Limits["cpu"].ToString());
        Assert.Equal("384Mi", r.Limits["memory"].ToString());
        Assert.Equal("Burstable", r.QosClass);
        Assert.Equal("max 100000", r.PodCgroup.CpuMax); // "setup" has no limits
    }
}
