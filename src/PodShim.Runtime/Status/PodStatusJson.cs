using System.Globalization;
using System.Text;
using System.Text.Json;
using PodShim.Runtime.State;

namespace PodShim.Runtime.Status;

/// <summary>
/// A <see cref="PodStatusInfo"/> as a v1 PodStatus JSON object, in the API's field order and with its omitempty rules;
/// times are RFC 3339 in UTC with seconds precision, as metav1.Time marshals them. podshim adds
/// <c>"podshimDeleting": true</c> while a deletion is in progress.
/// </summary>
public static class PodStatusJson
{
    private static readonly JsonWriterOptions WriterOptions = new() { Indented = false };

    public static string Serialize(PodStatusInfo status)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
            Write(w, status);
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>Writes the status object to <paramref name="w"/>.</summary>
    public static void Write(Utf8JsonWriter w, PodStatusInfo status)
    {
        w.WriteStartObject();
        w.WriteString("phase", status.Phase);
        w.WriteStartArray("conditions");
        foreach (var c in status.Conditions)
        {
            w.WriteStartObject();
            w.WriteString("type", c.Type);
            w.WriteString("status", c.Status);
            w.WriteNull("lastProbeTime");
            w.WriteString("lastTransitionTime", Time(c.LastTransitionTime));
            OptionalString(w, "reason", c.Reason);
            OptionalString(w, "message", c.Message);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        OptionalString(w, "message", status.Message);
        OptionalString(w, "reason", status.Reason);
        OptionalString(w, "hostIP", status.HostIP);
        if (status.HostIP.Length > 0)
            IpList(w, "hostIPs", status.HostIP);
        OptionalString(w, "podIP", status.PodIP);
        if (status.PodIP.Length > 0)
            IpList(w, "podIPs", status.PodIP);
        if (status.StartTime is { } start)
            w.WriteString("startTime", Time(start));
        if (status.InitContainerStatuses.Count > 0)
            Statuses(w, "initContainerStatuses", status.InitContainerStatuses);
        if (status.ContainerStatuses.Count > 0)
            Statuses(w, "containerStatuses", status.ContainerStatuses);
        if (status.Deleting)
            w.WriteBoolean("podshimDeleting", true);
        w.WriteEndObject();
    }

    public static PodStatusInfo Parse(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return Read(doc.RootElement);
    }

    /// <summary>Reads a v1 PodStatus object (unknown fields are ignored).</summary>
    public static PodStatusInfo Read(JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Object)
            throw new FormatException("pod status: expected a JSON object");
        return new PodStatusInfo
        {
            Phase = Str(e, "phase") ?? PodPhases.Pending,
            Conditions = Map(e, "conditions", c => new PodCondition(
                Str(c, "type") ?? "", Str(c, "status") ?? "", Str(c, "reason"), Str(c, "message"),
                TimeOf(c, "lastTransitionTime") ?? DateTimeOffset.MinValue)),
            Message = Str(e, "message"),
            Reason = Str(e, "reason"),
            HostIP = Str(e, "hostIP") ?? "",
            PodIP = Str(e, "podIP") ?? "",
            StartTime = TimeOf(e, "startTime"),
            InitContainerStatuses = Map(e, "initContainerStatuses", ReadContainerStatus),
            ContainerStatuses = Map(e, "containerStatuses", ReadContainerStatus),
            Deleting = e.TryGetProperty("podshimDeleting", out var d) && d.ValueKind == JsonValueKind.True,
        };
    }

    /// <summary>RFC 3339, UTC, seconds: <c>2026-11-22T06:14:00Z</c> (metav1.Time).</summary>
    public static string Time(DateTimeOffset t) => UtcText.Seconds(t);

    private static void Statuses(Utf8JsonWriter w, string name, IReadOnlyList<ContainerStatusInfo> list)
    {
        w.WriteStartArray(name);
        foreach (var s in list)
        {
            w.WriteStartObject();
            w.WriteString("name", s.Name);
            w.WritePropertyName("state");
            State(w, s.State);
            w.WritePropertyName("lastState");
            State(w, s.LastState);
            w.WriteBoolean("ready", s.Ready);
            w.WriteNumber("restartCount", s.RestartCount);
            w.WriteString("image", s.Image);
            w.WriteString("imageID", s.ImageId);
            OptionalString(w, "containerID", s.ContainerId);
            if (s.Started is { } started)
                w.WriteBoolean("started", started);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private static void State(Utf8JsonWriter w, ContainerState? state)
    {
        w.WriteStartObject();
        switch (state)
        {
            case WaitingState wt:
                w.WriteStartObject("waiting");
                OptionalString(w, "reason", wt.Reason);
                OptionalString(w, "message", wt.Message);
                w.WriteEndObject();
                break;
            case RunningState r:
                w.WriteStartObject("running");
                w.WriteString("startedAt", Time(r.StartedAt));
                w.WriteEndObject();
                break;
            case TerminatedState t:
                w.WriteStartObject("terminated");
                w.WriteNumber("exitCode", t.ExitCode);
                if (t.Signal != 0)
                    w.WriteNumber("signal", t.Signal);
                OptionalString(w, "reason", t.Reason);
                OptionalString(w, "message", t.Message);
                if (t.StartedAt is { } started)
                    w.WriteString("startedAt", Time(started));
                else
                    w.WriteNull("startedAt");
                w.WriteString("finishedAt", Time(t.FinishedAt));
                OptionalString(w, "containerID", t.ContainerId);
                w.WriteEndObject();
                break;
        }
        w.WriteEndObject();
    }

    private static ContainerStatusInfo ReadContainerStatus(JsonElement e) =>
        new(Str(e, "name") ?? "", Str(e, "image") ?? "", ReadState(e, "state") ?? new WaitingState(""))
        {
            LastState = ReadState(e, "lastState"),
            Ready = e.TryGetProperty("ready", out var r) && r.ValueKind == JsonValueKind.True,
            Started = e.TryGetProperty("started", out var s) && s.ValueKind is JsonValueKind.True or JsonValueKind.False
                ? s.ValueKind == JsonValueKind.True : null,
            RestartCount = e.TryGetProperty("restartCount", out var rc) && rc.ValueKind == JsonValueKind.Number ? rc.GetInt32() : 0,
            ContainerId = Str(e, "containerID"),
            ImageId = Str(e, "imageID") ?? "",
        };

    private static ContainerState? ReadState(JsonElement parent, string name)
    {
        if (!parent.TryGetProperty(name, out var e) || e.ValueKind != JsonValueKind.Object)
            return null;
        if (e.TryGetProperty("waiting", out var w) && w.ValueKind == JsonValueKind.Object)
            return new WaitingState(Str(w, "reason") ?? "", Str(w, "message"));
        if (e.TryGetProperty("running", out var r) && r.ValueKind == JsonValueKind.Object)
            return new RunningState(TimeOf(r, "startedAt") ?? DateTimeOffset.MinValue);
        if (e.TryGetProperty("terminated", out var t) && t.ValueKind == JsonValueKind.Object)
            return new TerminatedState(
                Int(t, "exitCode"), Int(t, "signal"), Str(t, "reason") ?? "", Str(t, "message"),
                TimeOf(t, "startedAt"), TimeOf(t, "finishedAt") ?? DateTimeOffset.MinValue, Str(t, "containerID"));
        return null;
    }

    private static void OptionalString(Utf8JsonWriter w, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
            w.WriteString(name, value);
    }

    private static void IpList(Utf8JsonWriter w, string name, string ip)
    {
        w.WriteStartArray(name);
        w.WriteStartObject();
        w.WriteString("ip", ip);
        w.WriteEndObject();
        w.WriteEndArray();
    }

    /// <summary>A JSON array mapped item by item. A plain loop: LINQ over the JsonElement struct would be JIT-compiled at every
    /// CLI start (ReadyToRun cannot share that instantiation), which `get pods` pays for.</summary>
    private static T[] Map<T>(JsonElement e, string name, Func<JsonElement, T> map) where T : class
    {
        if (!e.TryGetProperty(name, out var a) || a.ValueKind != JsonValueKind.Array)
            return [];
        var result = new T[a.GetArrayLength()];
        int i = 0;
        foreach (JsonElement item in a.EnumerateArray())
            result[i++] = map(item);
        return result;
    }

    private static IEnumerable<JsonElement> Array(JsonElement e, string name) =>
        e.TryGetProperty(name, out var a) && a.ValueKind == JsonValueKind.Array ? a.EnumerateArray() : [];

    private static string? Str(JsonElement e, string name) => e.OptionalString(name);

    private static int Int(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : 0;

    private static DateTimeOffset? TimeOf(JsonElement e, string name)
    {
        var s = Str(e, name);
        if (s is null)
            return null;
        return PodShim.Runtime.State.Rfc3339.Parse(s);
    }
}
