using System.Globalization;
using System.Text.Json;
using PodShim.Runtime.Status;

namespace PodShim.Runtime.Kubectl;

/// <summary>One line of events.jsonl.</summary>
public sealed record PodEvent(DateTimeOffset Time, string Type, string Reason, string Message, string Object, string Source);

/// <summary>An event as the API server keeps it: identical events (same object, type, reason, message, source) counted.</summary>
public sealed record AggregatedEvent(string Type, string Reason, string Message, string Object, string Source,
    DateTimeOffset FirstTimestamp, DateTimeOffset LastTimestamp, int Count);

/// <summary>Reads a pod's events.jsonl and prints them as `kubectl describe` does.</summary>
public static class EventLog
{
    /// <summary>
    /// Every whole line of the file that parses. A line cut short by a crash mid-append (no newline yet) is skipped,
    /// as is anything that is not an event: the file is always readable.
    /// </summary>
    public static IReadOnlyList<PodEvent> Read(string path)
    {
        string text;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            text = reader.ReadToEnd();
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return [];
        }
        var events = new List<PodEvent>();
        int start = 0;
        while (start < text.Length)
        {
            int end = text.IndexOf('\n', start);
            if (end < 0)
                break; // the last line is not finished
            if (TryParse(text.AsSpan(start, end - start), out PodEvent? e))
                events.Add(e);
            start = end + 1;
        }
        return events;
    }

    private static bool TryParse(ReadOnlySpan<char> line, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out PodEvent? e)
    {
        e = null;
        try
        {
            using var doc = JsonDocument.Parse(line.ToString());
            JsonElement r = doc.RootElement;
            e = new PodEvent(
                DateTimeOffset.Parse(r.GetProperty("time").GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal),
                r.GetProperty("type").GetString() ?? "", r.GetProperty("reason").GetString() ?? "", r.GetProperty("message").GetString() ?? "",
                r.TryGetProperty("object", out var o) ? o.GetString() ?? "" : "", r.TryGetProperty("source", out var s) ? s.GetString() ?? "" : "");
            return true;
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or FormatException or InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>The event correlator's counting, then kubectl's order (SortableEvents: by last timestamp).</summary>
    public static IReadOnlyList<AggregatedEvent> Aggregate(IEnumerable<PodEvent> events)
    {
        var byKey = new Dictionary<(string, string, string, string, string), int>();
        var list = new List<AggregatedEvent>();
        foreach (PodEvent e in events)
        {
            var key = (e.Type, e.Reason, e.Message, e.Object, e.Source);
            if (byKey.TryGetValue(key, out int i))
                list[i] = list[i] with { LastTimestamp = e.Time, Count = list[i].Count + 1 };
            else
            {
                byKey[key] = list.Count;
                list.Add(new AggregatedEvent(e.Type, e.Reason, e.Message, e.Object, e.Source, e.Time, e.Time, 1));
            }
        }
        return list.OrderBy(e => e.LastTimestamp).ToList();
    }

    /// <summary>kubectl's DescribeEvents, into a describe writer.</summary>
    public static void Describe(IReadOnlyList<AggregatedEvent> events, PrefixWriter w, DateTimeOffset now)
    {
        if (events.Count == 0)
        {
            w.Write(0, "Events:\t<none>\n");
            return;
        }
        w.Flush();
        w.Write(0, "Events:\n  Type\tReason\tAge\tFrom\tMessage\n");
        w.Write(1, "----\t------\t----\t----\t-------\n");
        foreach (AggregatedEvent e in events)
        {
            string first = KubectlPrinter.TimestampSince(e.FirstTimestamp, now);
            string interval = e.Count > 1
                ? $"{KubectlPrinter.TimestampSince(e.LastTimestamp, now)} (x{e.Count.ToString(CultureInfo.InvariantCulture)} over {first})"
                : first;
            w.Write(1, $"{e.Type}\t{e.Reason}\t{interval}\t{e.Source}\t{e.Message.Trim()}\n");
        }
    }
}

/// <summary>kubectl describe's PrefixWriter: two spaces per level, into a <see cref="TabWriter"/>.</summary>
public sealed class PrefixWriter(TabWriter output)
{
    public void Write(int level, string text) => output.Write(new string(' ', 2 * level) + text);

    public void Flush() => output.Flush();
}
