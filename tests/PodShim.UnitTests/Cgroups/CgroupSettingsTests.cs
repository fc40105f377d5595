using PodShim.Manifest;
using PodShim.Runtime.Cgroups;
using PodShim.UnitTests.Fakes;

namespace PodShim.UnitTests.Cgroups;

/// <summary>
/// The values per reference/pod-semantics.md, worked out by hand in the comments: shares =
/// max(2, millicpu·1024/1000), cpu.weight = 1 + (shares − 2)·9999/262142, cpu.max = millicpu·100 (min
/// 1000) per 100000, memory.max = bytes; memory.high per kubelet MemoryQoS.
/// </summary>
public class CgroupSettingsTests
{
    // The pod of the VM tier's limits check: init1, a sidecar, init2, two apps.
    internal const string LimitsPod = """
        apiVersion: v1
        kind: Pod
        metadata:
          name: limits
          uid: vm-limits
        spec:
          initContainers:
          - name: init1
            image: busybox
            resources: {requests: {cpu: 200m, memory: 64Mi}, limits: {cpu: 400m, memory: 128Mi}}
          - name: side
            image: busybox
            restartPolicy: Always
            resources: {requests: {cpu: 100m, memory: 32Mi}, limits: {cpu: 200m, memory: 64Mi}}
          - name: init2
            image: busybox
            resources: {requests: {cpu: 500m, memory: 96Mi}, limits: {cpu: "1", memory: 192Mi}}
          containers:
          - name: app1
            image: busybox
            resources: {requests: {cpu: 250m, memory: 64Mi}, limits: {cpu: 500m, memory: 128Mi}}
          - name: app2
            image: busybox
            resources: {requests: {cpu: 150m, memory: 32Mi}, limits: {cpu: 300m, memory: 96Mi}}
        """;

    private static string Show(IEnumerable<CgroupValue> values) => string.Join(" ", values.Select(v => $"{v.File}={v.Value}"));

    [Fact]
    public void PodCgroupHasTheEffectiveValues()
    {
        Pod pod = TestPods.Load(LimitsPod);
        // requests cpu: max(apps 250+150 + side 100 = 500m, init2 500m + side 100m = 600m) = 600m -> shares 614 -> weight 24
        // limits cpu: max(500+300+200 = 1000m, 1000m + 200m = 1200m) = 1200m -> 120000
        // limits memory: max(128+96+64 = 288Mi, 192Mi + 64Mi = 256Mi) = 288Mi = 301989888
        Assert.Equal("cpu.weight=24 cpu.max=120000 100000 memory.max=301989888 pids.max=64",
            Show(CgroupSettings.ForPod(PodResources.Compute(pod.Spec), 64)));
    }

    [Theory]
    // name, memory.max, memory.high = floor((req + 0.9(lim - req)) / 4096)·4096, cpu.max, cpu.weight from the request
    [InlineData("init1", "memory.max=134217728 memory.high=127504384 cpu.weight=8 cpu.max=40000 100000 pids.max=20 memory.oom.group=1")]
    [InlineData("side", "memory.max=67108864 memory.high=63750144 cpu.weight=4 cpu.max=20000 100000 pids.max=20 memory.oom.group=1")]
    [InlineData("init2", "memory.max=201326592 memory.high=191258624 cpu.weight=20 cpu.max=100000 100000 pids.max=20 memory.oom.group=1")]
    [InlineData("app1", "memory.max=134217728 memory.high=127504384 cpu.weight=10 cpu.max=50000 100000 pids.max=20 memory.oom.group=1")]
    [InlineData("app2", "memory.max=100663296 memory.high=93949952 cpu.weight=6 cpu.max=30000 100000 pids.max=20 memory.oom.group=1")]
    public void ContainerCgroupHasItsOwnLimits(string name, string expected)
    {
        Pod pod = TestPods.Load(LimitsPod);
        ContainerResources c = PodResources.Compute(pod.Spec).Containers.Single(x => x.Name == name);
        Assert.Equal(expected, Show(CgroupSettings.ForContainer(c, CgroupSettings.ContainerPidsMax(pod.Spec, 64))));
    }

    [Fact]
    public void GuaranteedContainerHasNoMemoryHigh()
    {
        Pod pod = TestPods.WithContainer("resources: {limits: {cpu: 500m, memory: 32Mi}}");
        ContainerResources c = PodResources.Compute(pod.Spec).Containers.Single();
        Assert.Null(CgroupSettings.MemoryHigh(c)); // requests defaulted to the limits
        Assert.Equal("memory.max=33554432 cpu.weight=20 cpu.max=50000 100000 pids.max=4092 memory.oom.group=1",
            Show(CgroupSettings.ForContainer(c, CgroupSettings.ContainerPidsMax(pod.Spec, CgroupSettings.DefaultPodPidsLimit))));
    }

    [Fact]
    public void ContainerWithoutLimitsIsUnlimitedWithMinimalWeight()
    {
        Pod pod = TestPods.WithContainer("");
        ContainerResources c = PodResources.Compute(pod.Spec).Containers.Single();
        Assert.Equal("memory.max=max cpu.weight=1 cpu.max=max 100000 pids.max=100 memory.oom.group=1", Show(CgroupSettings.ForContainer(c, 100)));
    }

    [Fact]
    public void BestEffortPod()
    {
        Pod pod = TestPods.WithContainer("");
        Assert.Equal("cpu.weight=1 cpu.max=max 100000 memory.max=max pids.max=4096",
            Show(CgroupSettings.ForPod(PodResources.Compute(pod.Spec), CgroupSettings.DefaultPodPidsLimit)));
    }

    [Fact]
    public void MemoryHighOnlyAboveTheRequest()
    {
        // A request just under the limit: request + 0.9·(limit − request) rounds down to the request's page.
        Pod pod = TestPods.WithContainer("resources: {requests: {memory: \"1048576\"}, limits: {memory: \"1049000\"}}");
        Assert.Null(CgroupSettings.MemoryHigh(PodResources.Compute(pod.Spec).Containers.Single()));
    }

    [Fact]
    public void HolderGetsRoomForItselfOnly() => Assert.Equal("pids.max=4", Show(CgroupSettings.ForHolder()));

    [Theory]
    [InlineData("", 1)]                                                          // one app
    [InlineData("  - {name: b, image: busybox}\n  - {name: c, image: busybox}", 3)] // three apps
    public void ConcurrentContainersCountsApps(string moreApps, int expected)
    {
        string yaml = """
            apiVersion: v1
            kind: Pod
            metadata: {name: p}
            spec:
              initContainers:
              - {name: i1, image: busybox}
              containers:
              - {name: a, image: busybox}

            """ + moreApps;
        Pod pod = TestPods.Load(yaml);
        Assert.Equal(expected, CgroupSettings.ConcurrentContainers(pod.Spec));
    }

    [Fact]
    public void ConcurrentContainersSeesAnInitContainerWithTheSidecarsBeforeIt()
    {
        // s1, s2 (sidecars) then i: i runs with s1 and s2 = 3 at once; apps: a + s1 + s2 = 3.
        // With a third sidecar after i and no more apps: apps a + 3 sidecars = 4.
        Pod pod = TestPods.Load("""
            apiVersion: v1
            kind: Pod
            metadata: {name: p}
            spec:
              initContainers:
              - {name: s1, image: busybox, restartPolicy: Always}
              - {name: s2, image: busybox, restartPolicy: Always}
              - {name: i, image: busybox}
              - {name: s3, image: busybox, restartPolicy: Always}
              containers:
              - {name: a, image: busybox}
            """);
        Assert.Equal(4, CgroupSettings.ConcurrentContainers(pod.Spec));
        Assert.Equal((64 - 4) / 4, CgroupSettings.ContainerPidsMax(pod.Spec, 64));
    }

    [Fact]
    public void InitPathCanBeTheWidest()
    {
        Pod pod = TestPods.Load("""
            apiVersion: v1
            kind: Pod
            metadata: {name: p}
            spec:
              initContainers:
              - {name: s1, image: busybox, restartPolicy: Always}
              - {name: i, image: busybox}
              containers:
              - {name: a, image: busybox}
            """);
        // apps: a + s1 = 2; init path: i + s1 = 2.
        Assert.Equal(2, CgroupSettings.ConcurrentContainers(pod.Spec));
        Assert.Equal(1, CgroupSettings.ContainerPidsMax(pod.Spec, 5)); // never below 1
    }
}
