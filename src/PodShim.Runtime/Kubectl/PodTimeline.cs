using System.Globalization;
using System.Text;
using System.Text.Json;
using PodShim.Manifest;
using PodShim.Runtime.Containers;
using PodShim.Runtime.Pods;
using PodShim.Runtime.State;
using PodShim.Runtime.Status;

namespace PodShim.Runtime.Kubectl;

/// <summary>One attempt of a container: when it ran and how it ended (null: still running).</summary>
public sealed record TimelineAttempt(int Attempt, DateTimeOffset Started, DateTimeOffset? Finished, int? ExitCode, string? Reason);

/// <summary>A readiness (or startup/liveness) result change, from probes.jsonl.</summary>
public sealed record TimelineProbe(DateTimeOffset Time, int Attempt, string Probe, bool Success);

public sealed record TimelineContainer(string Name, string Kind, IReadOnlyList<TimelineAttempt> Attempts,
    IReadOnlyList<TimelineProbe> Probes, IReadOnlyList<DateTimeOffset> ProbeFailures, bool HasReadinessProbe);

public sealed record TimelineData(string Pod, DateTimeOffset Start, DateTimeOffset End, IReadOnlyList<TimelineContainer> Containers);

/// <summary>
/// `describe pod --timeline`: every container's attempts on one time axis, so that init order, back-off gaps and
/// readiness flips show at a glance. Built from the keepers' exit records (start, finish, exit code), probes.jsonl
/// (result changes) and the Unhealthy events (probe failures).
/// </summary>
public static class PodTimeline
{
    public const string Legend = "= running   # running and ready   ] exited (code in the list below)   . waiting to restart   ! probe failed";

    private static readonly double[] Steps = [0.1, 0.2, 0.25, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400];

    /// <summary>Reads what the timeline shows from a pod's state directory.</summary>
    public static TimelineData Load(Pod pod, PodPaths paths, PodStatusInfo status, DateTimeOffset now)
    {
        var probes = ReadProbes(paths.ProbeLog);
        var failures = EventLog.Read(paths.Events).Where(e => e.Reason == "Unhealthy").ToList();
        var containers = new List<TimelineContainer>();
        DateTimeOffset start = status.StartTime ?? now;
        DateTimeOffset end = now;
        bool finished = PodPhases.IsTerminal(status.Phase);
        DateTimeOffset lastEvent = start;
        foreach (Container c in pod.Spec.AllContainers)
        {
            bool init = pod.Spec.InitContainers.Contains(c);
            var attempts = new List<TimelineAttempt>();
            string dir = Path.Combine(paths.ContainersDirectory, c.Name);
            if (Directory.Exists(dir))
            {
                foreach (int n in Directory.EnumerateDirectories(dir).Select(Path.GetFileName)
                             .Select(s => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int v) ? v : -1)
                             .Where(v => v >= 0).Order())
                {
                    AttemptPaths a = paths.Attempt(c.Name, n);
                    ExitRecord? exit = null;
                    try
                    {
                        exit = ExitRecord.TryRead(a.Exit);
                    }
                    catch (Exception e) when (e is JsonException or IOException or KeyNotFoundException or FormatException)
                    {
                    }
                    DateTimeOffset? started = exit?.StartedAt ?? (File.Exists(a.ContainerPid) ? File.GetLastWriteTimeUtc(a.ContainerPid) : null);
                    if (started is null && exit is null)
                        continue;
                    DateTimeOffset s = started ?? exit!.FinishedAt;
                    attempts.Add(new TimelineAttempt(n, s, exit?.FinishedAt, exit?.ExitCode,
                        exit is null ? null : ContainerReasons.TerminatedReason(exit.ExitCode, exit.OomKilled)));
                    if (exit is not null && exit.FinishedAt > lastEvent)
                        lastEvent = exit.FinishedAt;
                    if (s < start)
                        start = s;
                }
            }
            string field = init ? $"spec.initContainers{{{c.Name}}}" : $"spec.containers{{{c.Name}}}";
            containers.Add(new TimelineContainer(c.Name, init ? (c.IsSidecar ? "sidecar" : "init") : "app", attempts,
                probes.Where(p => p.Container == c.Name).Select(p => p.Probe).ToList(),
                failures.Where(e => e.Object == field).Select(e => e.Time).ToList(),
                c.ReadinessProbe is not null));
        }
        if (finished && !containers.Any(c => c.Attempts.Any(a => a.Finished is null)))
            end = lastEvent > start ? lastEvent : now;
        return new TimelineData(pod.Metadata.Name, start, end, containers);
    }

    private static List<(string Container, TimelineProbe Probe)> ReadProbes(string path)
    {
        var list = new List<(string, TimelineProbe)>();
        if (!File.Exists(path))
            return list;
        foreach (string line in File.ReadAllText(path).Split('\n'))
        {
            try
            {
                using var doc = JsonDocument.Parse(line);
                JsonElement e = doc.RootElement;
                list.Add((e.GetProperty("container").GetString()!, new TimelineProbe(
                    DateTimeOffset.Parse(e.GetProperty("time").GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal),
                    e.GetProperty("attempt").GetInt32(), e.GetProperty("probe").GetString()!, e.GetProperty("success").GetBoolean())));
            }
            catch (Exception ex) when (ex is JsonException or KeyNotFoundException or FormatException or InvalidOperationException)
            {
                // An unfinished last line (or an empty one): skipped.
            }
        }
        return list;
    }

    /// <summary>Draws the timeline in <paramref name="width"/> columns (at least 40).</summary>
    public static string Render(TimelineData data, int width)
    {
        width = Math.Max(40, width);
        int label = Math.Max(12, data.Containers.Select(c => c.Name.Length + c.Kind.Length + 3).DefaultIfEmpty(0).Max());
        int columns = width - label - 1;
        double span = Math.Max(0.1, (data.End - data.Start).TotalSeconds);
        double step = Steps.FirstOrDefault(s => span / s <= columns - 2, Steps[^1]);
        int used = Math.Min(columns, (int)Math.Ceiling(span / step) + 2);
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"Timeline of pod/{data.Pod}: 0 = {data.Start.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC, one column = {Seconds(step)}\n");
        // Axis: a label every 10 columns.
        var axis = new StringBuilder(new string(' ', label + 1 + used + 12));
        var ticks = new StringBuilder(new string(' ', label + 1 + used));
        for (int col = 0; col < used; col += 10)
        {
            string text = Seconds(col * step);
            for (int i = 0; i < text.Length; i++)
                axis[label + 1 + col + i] = text[i];
            ticks[label + 1 + col] = '|';
        }
        sb.Append(axis.ToString().TrimEnd()).Append('\n').Append(ticks.ToString().TrimEnd()).Append('\n');
        foreach (TimelineContainer c in data.Containers)
        {
            char[] row = Enumerable.Repeat(' ', used).ToArray();
            int Col(DateTimeOffset t) => Math.Clamp((int)Math.Floor((t - data.Start).TotalSeconds / step), 0, used - 1);
            for (int i = 0; i < c.Attempts.Count; i++)
            {
                TimelineAttempt a = c.Attempts[i];
                int from = Col(a.Started);
                int to = Col(a.Finished ?? data.End);
                for (int col = from; col <= to; col++)
                    row[col] = Ready(c, a, data.Start + TimeSpan.FromSeconds((col + 0.5) * step)) ? '#' : '=';
                if (a.Finished is not null)
                    row[to] = ']';
                // The gap until the next attempt: waiting to restart (back-off).
                if (a.Finished is { } finished && i + 1 < c.Attempts.Count)
                    for (int col = Col(finished) + 1; col < Col(c.Attempts[i + 1].Started); col++)
                        row[col] = '.';
                else if (a.Finished is not null && i + 1 == c.Attempts.Count && a.ExitCode != 0 && c.Kind != "init" && data.End > a.Finished)
                    for (int col = Col(a.Finished.Value) + 1; col <= Col(data.End); col++)
                        row[col] = '.';
            }
            foreach (DateTimeOffset failure in c.ProbeFailures)
                row[Col(failure)] = '!';
            sb.Append($"{c.Name} ({c.Kind})".PadRight(label)).Append(' ').Append(new string(row).TrimEnd()).Append('\n');
        }
        sb.Append('\n').Append(Legend).Append('\n');
        foreach (TimelineContainer c in data.Containers)
        {
            foreach (TimelineAttempt a in c.Attempts)
            {
                string at = Seconds((a.Started - data.Start).TotalSeconds);
                string how = a.Finished is { } f
                    ? $"ran {Seconds((f - a.Started).TotalSeconds)}, exit code {a.ExitCode} ({a.Reason})"
                    : "running";
                sb.Append(CultureInfo.InvariantCulture, $"  {c.Name} #{a.Attempt}: started at {at}, {how}\n");
            }
            foreach (TimelineProbe p in c.Probes)
                sb.Append(CultureInfo.InvariantCulture, $"  {c.Name} #{p.Attempt}: {p.Probe.ToLowerInvariant()} {(p.Success ? "succeeded" : "failed")} at {Seconds((p.Time - data.Start).TotalSeconds)}\n");
        }
        return sb.ToString();
    }

    /// <summary>Ready at time t: after the last readiness change to success (or, without a readiness probe, once running).</summary>
    private static bool Ready(TimelineContainer c, TimelineAttempt a, DateTimeOffset t)
    {
        if (c.Kind == "init")
            return false;
        if (!c.HasReadinessProbe)
            return true;
        TimelineProbe? last = c.Probes.Where(p => p.Attempt == a.Attempt && p.Probe == "Readiness" && p.Time <= t).MaxBy(p => p.Time);
        return last?.Success == true;
    }

    private static string Seconds(double s)
    {
        if (s < 10 && Math.Abs(s - Math.Round(s)) > 1e-9)
            return s.ToString("0.##", CultureInfo.InvariantCulture) + "s";
        return Durations.HumanDuration(TimeSpan.FromSeconds(Math.Round(s)));
    }
}
