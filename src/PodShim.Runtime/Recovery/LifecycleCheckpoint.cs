using System.Globalization;
using System.Text;
using System.Text.Json;
using PodShim.Runtime.Lifecycle;
using PodShim.Runtime.State;
using PodShim.Runtime.Status;

namespace PodShim.Runtime.Recovery;

/// <summary>
/// lifecycle.json: a <see cref="LifecycleSnapshot"/> as JSON (times to the tick, round-trip format). Written by temp
/// file + rename like every state file, so a reader (or a supervisor recovering after a crash) never sees half of one.
/// </summary>
public static class LifecycleCheckpoint
{
    public const int Version = 1;

    public static string Serialize(LifecycleSnapshot s)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("version", Version);
            Time(w, "startTime", s.StartTime);
            w.WriteBoolean("initialized", s.Initialized);
            w.WriteBoolean("sandboxReady", s.SandboxReady);
            w.WriteBoolean("terminating", s.Terminating);
            Span(w, "terminationGrace", s.TerminationGrace);
            Str(w, "failureReason", s.FailureReason);
            Str(w, "failureMessage", s.FailureMessage);
            w.WriteBoolean("failPodForInit", s.FailPodForInit);
            w.WriteBoolean("finished", s.Finished);
            w.WriteStartArray("conditions");
            foreach (PodCondition c in s.Conditions)
            {
                w.WriteStartObject();
                w.WriteString("type", c.Type);
                w.WriteString("status", c.Status);
                Str(w, "reason", c.Reason);
                Str(w, "message", c.Message);
                Time(w, "lastTransitionTime", c.LastTransitionTime);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("containers");
            foreach (ContainerSnapshot c in s.Containers)
            {
                w.WriteStartObject();
                w.WriteString("name", c.Name);
                w.WriteString("phase", c.Phase.ToString());
                w.WriteNumber("attempt", c.Attempt);
                w.WriteNumber("restartCount", c.RestartCount);
                Str(w, "containerID", c.ContainerId);
                Time(w, "startedAt", c.StartedAt);
                Terminated(w, "last", c.Last);
                Terminated(w, "previous", c.Previous);
                Str(w, "waitingReason", c.WaitingReason);
                Str(w, "waitingMessage", c.WaitingMessage);
                Span(w, "backOffCurrent", c.BackOffCurrent);
                Span(w, "backOffUpcoming", c.BackOffUpcoming);
                Time(w, "timerDue", c.TimerDue);
                w.WriteBoolean("startupPassed", c.StartupPassed);
                w.WriteBoolean("readinessPassed", c.ReadinessPassed);
                w.WriteBoolean("retiring", c.Retiring);
                w.WriteBoolean("postStartFailed", c.PostStartFailed);
                w.WriteBoolean("probeFailed", c.ProbeFailed);
                Span(w, "stopRequested", c.StopRequested);
                Time(w, "stopStarted", c.StopStarted);
                Span(w, "stopGrace", c.StopGrace);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>Parses a checkpoint; <see cref="FormatException"/> when it is not one this version wrote.</summary>
    public static LifecycleSnapshot Parse(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            JsonElement e = doc.RootElement;
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty("version", out var v) || v.GetInt32() != Version)
                throw new FormatException("lifecycle checkpoint: unknown version");
            return new LifecycleSnapshot
            {
                StartTime = TimeOf(e, "startTime"),
                Initialized = Bool(e, "initialized"),
                SandboxReady = Bool(e, "sandboxReady"),
                Terminating = Bool(e, "terminating"),
                TerminationGrace = SpanOf(e, "terminationGrace"),
                FailureReason = StrOf(e, "failureReason"),
                FailureMessage = StrOf(e, "failureMessage"),
                FailPodForInit = Bool(e, "failPodForInit"),
                Finished = Bool(e, "finished"),
                Conditions = e.GetProperty("conditions").EnumerateArray().Select(c => new PodCondition(
                    StrOf(c, "type") ?? "", StrOf(c, "status") ?? "", StrOf(c, "reason"), StrOf(c, "message"),
                    TimeOf(c, "lastTransitionTime") ?? DateTimeOffset.MinValue)).ToList(),
                Containers = e.GetProperty("containers").EnumerateArray().Select(c => new ContainerSnapshot
                {
                    Name = StrOf(c, "name") ?? throw new FormatException("lifecycle checkpoint: a container without a name"),
                    Phase = Enum.Parse<ContainerPhase>(StrOf(c, "phase") ?? nameof(ContainerPhase.Waiting)),
                    Attempt = c.GetProperty("attempt").GetInt32(),
                    RestartCount = c.GetProperty("restartCount").GetInt32(),
                    ContainerId = StrOf(c, "containerID"),
                    StartedAt = TimeOf(c, "startedAt"),
                    Last = TerminatedOf(c, "last"),
                    Previous = TerminatedOf(c, "previous"),
                    WaitingReason = StrOf(c, "waitingReason"),
                    WaitingMessage = StrOf(c, "waitingMessage"),
                    BackOffCurrent = SpanOf(c, "backOffCurrent") ?? TimeSpan.Zero,
                    BackOffUpcoming = SpanOf(c, "backOffUpcoming") ?? TimeSpan.Zero,
                    TimerDue = TimeOf(c, "timerDue"),
                    StartupPassed = Bool(c, "startupPassed"),
                    ReadinessPassed = Bool(c, "readinessPassed"),
                    Retiring = Bool(c, "retiring"),
                    PostStartFailed = Bool(c, "postStartFailed"),
                    ProbeFailed = Bool(c, "probeFailed"),
                    StopRequested = SpanOf(c, "stopRequested"),
                    StopStarted = TimeOf(c, "stopStarted") ?? DateTimeOffset.MinValue,
                    StopGrace = SpanOf(c, "stopGrace") ?? TimeSpan.Zero,
                }).ToList(),
            };
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or ArgumentException)
        {
            throw new FormatException($"lifecycle checkpoint: {e.Message}", e);
        }
    }

    private static void Terminated(Utf8JsonWriter w, string name, TerminatedState? t)
    {
        if (t is null)
            return;
        w.WriteStartObject(name);
        w.WriteNumber("exitCode", t.ExitCode);
        w.WriteNumber("signal", t.Signal);
        w.WriteString("reason", t.Reason);
        Str(w, "message", t.Message);
        Time(w, "startedAt", t.StartedAt);
        Time(w, "finishedAt", t.FinishedAt);
        Str(w, "containerID", t.ContainerId);
        w.WriteEndObject();
    }

    private static TerminatedState? TerminatedOf(JsonElement e, string name) =>
        e.TryGetProperty(name, out var t) && t.ValueKind == JsonValueKind.Object
            ? new TerminatedState(t.GetProperty("exitCode").GetInt32(), t.GetProperty("signal").GetInt32(), StrOf(t, "reason") ?? "",
                StrOf(t, "message"), TimeOf(t, "startedAt"), TimeOf(t, "finishedAt") ?? DateTimeOffset.MinValue, StrOf(t, "containerID"))
            : null;

    private static void Str(Utf8JsonWriter w, string name, string? value)
    {
        if (value is not null)
            w.WriteString(name, value);
    }

    private static void Time(Utf8JsonWriter w, string name, DateTimeOffset? value)
    {
        if (value is { } t)
            w.WriteString(name, t.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
    }

    private static void Span(Utf8JsonWriter w, string name, TimeSpan? value)
    {
        if (value is { } t)
            w.WriteNumber(name, t.Ticks);
    }

    private static string? StrOf(JsonElement e, string name) => e.OptionalString(name);

    private static bool Bool(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.True;

    private static TimeSpan? SpanOf(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? TimeSpan.FromTicks(v.GetInt64()) : null;

    private static DateTimeOffset? TimeOf(JsonElement e, string name) =>
        StrOf(e, name) is { } s ? DateTimeOffset.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind) : null;
}
