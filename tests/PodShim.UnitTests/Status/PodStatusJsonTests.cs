using System.Text.Json;
using PodShim.Runtime.Status;

namespace PodShim.UnitTests.Status;

public class PodStatusJsonTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 22, 6, 14, 0, TimeSpan.Zero);

    private static PodStatusInfo Sample(bool deleting = false) => new()
    {
        Phase = "Running",
        Conditions =
        [
            new("PodReadyToStartContainers", "True", null, null, T0),
            new("Initialized", "True", null, null, T0.AddSeconds(2)),
            new("Ready", "False", "ContainersNotReady", "containers with unready status: [app]", T0.AddSeconds(3)),
            new("ContainersReady", "False", "ContainersNotReady", "containers with unready status: [app]", T0.AddSeconds(3)),
            new("PodScheduled", "True", null, null, T0),
        ],
        HostIP = "10.0.0.5",
        PodIP = "10.88.0.7",
        StartTime = T0,
        InitContainerStatuses =
        [
            new("init", "busybox:1.36", new TerminatedState(0, 0, "Completed", null, T0.AddSeconds(1), T0.AddSeconds(2), "podshim://u1/init/0"))
            {
                Ready = true, Started = false, ContainerId = "podshim://u1/init/0", ImageId = "sha256:aaa",
            },
        ],
        ContainerStatuses =
        [
            new("app", "nginx:1.27", new WaitingState("CrashLoopBackOff", "back-off 10s restarting failed container=app pod=web_default(u1)"))
            {
                LastState = new TerminatedState(137, 9, "Error", "killed", T0.AddSeconds(3), T0.AddSeconds(30), "podshim://u1/app/1"),
                RestartCount = 1, Started = false, ContainerId = "podshim://u1/app/1", ImageId = "sha256:bbb",
            },
            new("side", "envoy", new RunningState(T0.AddSeconds(4))) { Ready = true, Started = true, ImageId = "sha256:ccc" },
        ],
        Deleting = deleting,
    };

    private static readonly string Golden = """
        {"phase":"Running","conditions":[
        {"type":"PodReadyToStartContainers","status":"True","lastProbeTime":null,"lastTransitionTime":"2026-11-22T06:14:00Z"},
        {"type":"Initialized","status":"True","lastProbeTime":null,"lastTransitionTime":"2026-11-22T06:14:02Z"},
        {"type":"Ready","status":"False","lastProbeTime":null,"lastTransitionTime":"2026-11-22T06:14:03Z","reason":"ContainersNotReady","message":"containers with unready status: [app]"},
        {"type":"ContainersReady","status":"False","lastProbeTime":null,"lastTransitionTime":"2026-11-22T06:14:03Z","reason":"ContainersNotReady","message":"containers with unready status: [app]"},
        {"type":"PodScheduled","status":"True","lastProbeTime":null,"lastTransitionTime":"2026-11-22T06:14:00Z"}],
        "hostIP":"10.0.0.5","hostIPs":[{"ip":"10.0.0.5"}],"podIP":"10.88.0.7","podIPs":[{"ip":"10.88.0.7"}],"startTime":"2026-11-22T06:14:00Z",
        "initContainerStatuses":[{"name":"init","state":{"terminated":{"exitCode":0,"reason":"Completed","startedAt":"2026-11-22T06:14:01Z","finishedAt":"2026-11-22T06:14:02Z","containerID":"podshim://u1/init/0"}},
        "lastState":{},"ready":true,"restartCount":0,"image":"busybox:1.36","imageID":"sha256:aaa","containerID":"podshim://u1/init/0","started":false}],
        "containerStatuses":[{"name":"app","state":{"waiting":{"reason":"CrashLoopBackOff","message":"back-off 10s restarting failed container=app pod=web_default(u1)"}},
        "lastState":{"terminated":{"exitCode":137,"signal":9,"reason":"Error","message":"killed","startedAt":"2026-11-22T06:14:03Z","finishedAt":"2026-11-22T06:14:30Z","containerID":"podshim://u1/app/1"}},
        "ready":false,"restartCount":1,"image":"nginx:1.27","imageID":"sha256:bbb","containerID":"podshim://u1/app/1","started":false},
        {"name":"side","state":{"running":{"startedAt":"2026-11-22T06:14:04Z"}},"lastState":{},"ready":true,"restartCount":1,"image":"envoy","imageID":"sha256:ccc","started":true}]}
        """.ReplaceLineEndings("");

    [Fact]
    public void Golden_json()
    {
        var s = Sample();
        // the sidecar line of the golden carries restartCount 1
        s = s with { ContainerStatuses = [s.ContainerStatuses[0], s.ContainerStatuses[1] with { RestartCount = 1 }] };
        Assert.Equal(Golden, PodStatusJson.Serialize(s));
    }

    [Fact]
    public void Round_trip()
    {
        var s = Sample();
        var back = PodStatusJson.Parse(PodStatusJson.Serialize(s));
        Assert.Equal(s, back);
        Assert.Equal(PodStatusJson.Serialize(s), PodStatusJson.Serialize(back));
    }

    [Fact]
    public void Round_trip_of_a_deleting_pending_pod_without_ips()
    {
        var s = new PodStatusInfo
        {
            Deleting = true,
            Reason = "DeadlineExceeded",
            Message = "Pod was active on the node longer than the specified deadline",
            ContainerStatuses = [new("app", "nginx", new TerminatedState(1, 0, "Error", null, null, T0))],
        };
        var json = PodStatusJson.Serialize(s);
        Assert.Contains("\"podshimDeleting\":true", json);
        Assert.Contains("\"startedAt\":null", json);
        Assert.DoesNotContain("podIP", json);
        Assert.DoesNotContain("startTime", json);
        Assert.Equal(s, PodStatusJson.Parse(json));
    }

    [Fact]
    public void Deleting_is_absent_unless_set()
    {
        Assert.DoesNotContain("podshimDeleting", PodStatusJson.Serialize(Sample()));
        Assert.Contains("\"podshimDeleting\":true", PodStatusJson.Serialize(Sample(deleting: true)));
        Assert.False(PodStatusJson.Parse(PodStatusJson.Serialize(Sample())).Deleting);
    }

    [Fact]
    public void Times_are_utc_seconds()
    {
        var t = new DateTimeOffset(2026, 11, 22, 8, 14, 0, 987, TimeSpan.FromHours(2));
        Assert.Equal("2026-11-22T06:14:00Z", PodStatusJson.Time(t));
        // Written by hand: every field zero-padded, a day and a year crossed by the offset, the same text .NET's format gives.
        var early = new DateTimeOffset(999, 1, 1, 1, 2, 3, TimeSpan.FromHours(5));
        Assert.Equal("0998-12-31T20:02:03Z", PodStatusJson.Time(early));
        var random = new Random(7);
        for (int i = 0; i < 1000; i++)
        {
            var any = new DateTimeOffset(random.NextInt64(DateTimeOffset.MinValue.Ticks + TimeSpan.TicksPerDay, DateTimeOffset.MaxValue.Ticks - TimeSpan.TicksPerDay), TimeSpan.Zero);
            Assert.Equal(any.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture), PodStatusJson.Time(any));
            Assert.Equal(any.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture), PodShim.Runtime.State.UtcText.Milliseconds(any));
            Assert.Equal(any.ToString("yyyy_MM_dd_HH_mm_ss", System.Globalization.CultureInfo.InvariantCulture), PodShim.Runtime.State.UtcText.Underscored(any));
        }
        var back = PodStatusJson.Parse(PodStatusJson.Serialize(new PodStatusInfo { StartTime = t }));
        Assert.Equal(new DateTimeOffset(2026, 11, 22, 6, 14, 0, TimeSpan.Zero), back.StartTime);
        Assert.Equal(TimeSpan.Zero, back.StartTime!.Value.Offset);
    }

    [Fact]
    public void Empty_last_state_parses_to_null_and_state_kinds_are_kept()
    {
        var back = PodStatusJson.Parse(PodStatusJson.Serialize(Sample()));
        Assert.Null(back.InitContainerStatuses[0].LastState);
        Assert.IsType<TerminatedState>(back.InitContainerStatuses[0].State);
        Assert.IsType<WaitingState>(back.ContainerStatuses[0].State);
        Assert.IsType<TerminatedState>(back.ContainerStatuses[0].LastState);
        Assert.IsType<RunningState>(back.ContainerStatuses[1].State);
        Assert.Null(back.ContainerStatuses[1].ContainerId);
    }

    [Fact]
    public void Output_is_valid_json_with_kubernetes_field_names()
    {
        using var doc = JsonDocument.Parse(PodStatusJson.Serialize(Sample()));
        var root = doc.RootElement;
        Assert.Equal(["phase", "conditions", "hostIP", "hostIPs", "podIP", "podIPs", "startTime", "initContainerStatuses", "containerStatuses"],
            root.EnumerateObject().Select(p => p.Name));
        Assert.Equal(["name", "state", "lastState", "ready", "restartCount", "image", "imageID", "containerID", "started"],
            root.GetProperty("containerStatuses")[0].EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public void Parse_reads_a_kubelet_status_with_unknown_fields()
    {
        const string json = """
            {"phase":"Succeeded","qosClass":"BestEffort","conditions":[{"type":"Ready","status":"False","lastProbeTime":null,
             "lastTransitionTime":"2026-01-02T03:04:05Z","reason":"PodCompleted"}],
             "containerStatuses":[{"name":"c","state":{"terminated":{"exitCode":0,"reason":"Completed","startedAt":"2026-01-02T03:04:00Z",
             "finishedAt":"2026-01-02T03:04:05Z"}},"lastState":{},"ready":false,"restartCount":0,"image":"busybox","imageID":"x",
             "volumeMounts":[{"name":"v","mountPath":"/v"}]}]}
            """;
        var s = PodStatusJson.Parse(json);
        Assert.Equal("Succeeded", s.Phase);
        Assert.Equal("PodCompleted", Assert.Single(s.Conditions).Reason);
        var c = Assert.Single(s.ContainerStatuses);
        Assert.Null(c.Started);
        Assert.Equal(new TerminatedState(0, 0, "Completed", null, new DateTimeOffset(2026, 1, 2, 3, 4, 0, TimeSpan.Zero),
            new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero)), c.State);
    }

    [Fact]
    public void Equality_compares_lists_by_value_and_sees_differences()
    {
        Assert.Equal(Sample(), Sample());
        var other = Sample() with { ContainerStatuses = [Sample().ContainerStatuses[0] with { RestartCount = 2 }, Sample().ContainerStatuses[1]] };
        Assert.NotEqual(Sample(), other);
        Assert.NotEqual(Sample(), Sample() with { Conditions = Sample().Conditions.Take(4).ToArray() });
    }
}
