using PodShim.Runtime.Cgroups;

namespace PodShim.IntegrationTests;

/// <summary>
/// The path of a host without usable cgroup v2, as this one (v1/hybrid): the pod runs, one Warning
/// event and one stderr line say that limits are not enforced and why; --require-cgroups makes it an
/// error. Nothing here writes a cgroup: the real cgroup v2 checks are in the VM tier (tests/vm).
/// </summary>
public sealed class CgroupTests : IDisposable
{
    private readonly PodHarness _h = new();
    private readonly CgroupHierarchy _host = CgroupHierarchy.Detect("/proc/self/mountinfo", CgroupFileSystem.Instance);

    public void Dispose() => _h.Dispose();

    private const string Pod = """
        apiVersion: v1
        kind: Pod
        metadata:
          name: nocg
        spec:
          restartPolicy: Never
          terminationGracePeriodSeconds: 1
          containers:
          - name: c
            image: busybox
            command: ["sh", "-c", "echo ran"]
            resources: {limits: {cpu: 100m, memory: 32Mi}}
        """;

    private void RequireHostWithoutCgroupV2() =>
        Assert.False(_host.Usable, "these tests are for hosts without usable cgroup v2 (the VM tier covers cgroup v2)");

    [RootFact]
    public void Without_cgroup_v2_the_pod_runs_and_one_warning_says_why()
    {
        RequireHostWithoutCgroupV2();
        var r = _h.Run(Pod);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(["ran"], _h.LogLines("nocg", "c"));
        string expected = $"resource limits are not enforced: {_host.Reason}";
        string[] lines = r.RawStderr.Split('\n').Where(l => l.Contains("ResourceLimitsNotEnforced", StringComparison.Ordinal)).ToArray();
        Assert.Equal([PodHarness.CgroupWarningPrefix + expected], lines);
        string[] events = File.ReadAllLines(Path.Combine(_h.PodDir("nocg"), "events.jsonl"))
            .Where(l => l.Contains("\"reason\":\"ResourceLimitsNotEnforced\"", StringComparison.Ordinal)).ToArray();
        string warning = Assert.Single(events);
        Assert.Contains("\"type\":\"Warning\"", warning);
        Assert.Contains("\"object\":\"pod/nocg\"", warning);
        Assert.Contains($"\"message\":\"{expected}\"", warning);
    }

    [RootFact]
    public void Require_cgroups_makes_it_an_error_that_leaves_nothing()
    {
        RequireHostWithoutCgroupV2();
        var r = _h.Run(Pod, extraArgs: ["--require-cgroups"]);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal($"Error: --require-cgroups: resource limits are not enforced: {_host.Reason}", r.RawStderr.Trim());
        Assert.False(Directory.Exists(_h.PodDir("nocg")));
    }

    [RootFact]
    public void Pod_pids_limit_must_leave_room_for_containers()
    {
        var r = _h.Run(Pod, extraArgs: ["--pod-pids-limit", "4"]);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("Error: --pod-pids-limit must be above 4", r.RawStderr.Trim());
        Assert.False(Directory.Exists(_h.PodDir("nocg")));
    }
}
