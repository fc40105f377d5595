using System.Globalization;
using System.Text;
using PodShim.Manifest;
using PodShim.Runtime.Logs;
using PodShim.Runtime.Pods;
using PodShim.Runtime.Status;

namespace PodShim.Runtime.Kubectl;

/// <summary>A request kubectl (or the API server behind it) refuses: <see cref="Exception.Message"/> is the whole line to print.</summary>
public sealed class KubectlException(string message, int exitCode = 1) : Exception(message)
{
    public int ExitCode { get; } = exitCode;

    public static KubectlException NotFound(string resource, string name) =>
        new($"Error from server (NotFound): {resource} \"{name}\" not found");

    public static KubectlException BadRequest(string message) => new($"Error from server (BadRequest): {message}");

    /// <summary>An error kubectl itself reports (before or without asking the server).</summary>
    public static KubectlException Client(string message) => new($"error: {message}");
}

/// <summary>`kubectl logs` options.</summary>
public sealed record LogOptions
{
    public bool Previous { get; init; }
    public bool Timestamps { get; init; }
    /// <summary>Only the last N lines (null: all).</summary>
    public long? Tail { get; init; }
    public bool Follow { get; init; }
}

/// <summary>
/// `kubectl logs` over the keepers' CRI files: which container (kubectl's rule and errors), which attempt
/// (the kubelet's validateContainerLogStatus: current, previous, or why there is none), and the lines
/// (both streams, partial records joined, --tail, --timestamps in RFC 3339 with nanoseconds).
/// </summary>
public static class PodLogs
{
    /// <summary>The container to read: -c, or the only app container; else kubectl's error naming the choices.</summary>
    public static string ChooseContainer(Pod pod, string? container)
    {
        if (string.IsNullOrEmpty(container))
        {
            if (pod.Spec.Containers.Count == 1)
                return pod.Spec.Containers[0].Name;
            string message = $"a container name must be specified for pod {pod.Metadata.Name}, choose one of: [{string.Join(' ', pod.Spec.Containers.Select(c => c.Name))}]";
            if (pod.Spec.InitContainers.Count > 0)
                message += $" or one of the init containers: [{string.Join(' ', pod.Spec.InitContainers.Select(c => c.Name))}]";
            throw KubectlException.Client(message);
        }
        if (!pod.Spec.AllContainers.Any(c => c.Name == container))
            throw KubectlException.Client($"container {container} is not valid for pod {pod.Metadata.Name}");
        return container;
    }

    /// <summary>The attempt whose log to show (kubelet validateContainerLogStatus), or the kubelet's error.</summary>
    public static int SelectAttempt(PodStatusInfo status, string podName, string container, bool previous)
    {
        ContainerStatusInfo? s = status.ContainerStatuses.Concat(status.InitContainerStatuses).FirstOrDefault(c => c.Name == container);
        if (s is null)
            throw KubectlException.BadRequest($"container \"{container}\" in pod \"{podName}\" is not available");
        TerminatedState? last = s.LastState as TerminatedState;
        string? id;
        if (previous)
        {
            id = last?.ContainerId;
            if (string.IsNullOrEmpty(id))
                throw KubectlException.BadRequest($"previous terminated container \"{container}\" in pod \"{podName}\" not found");
        }
        else
        {
            switch (s.State)
            {
                case RunningState:
                    id = s.ContainerId;
                    break;
                case TerminatedState t:
                    id = !string.IsNullOrEmpty(t.ContainerId) ? t.ContainerId : last?.ContainerId;
                    if (string.IsNullOrEmpty(id))
                        throw KubectlException.BadRequest($"container \"{container}\" in pod \"{podName}\" is terminated");
                    break;
                case WaitingState when last is not null:
                    id = last.ContainerId;
                    if (string.IsNullOrEmpty(id))
                        throw KubectlException.BadRequest($"container \"{container}\" in pod \"{podName}\" is terminated");
                    break;
                case WaitingState w:
                    throw KubectlException.BadRequest(w.Reason switch
                    {
                        ContainerReasons.ErrImagePull => $"container \"{container}\" in pod \"{podName}\" is waiting to start: image can't be pulled",
                        ContainerReasons.ImagePullBackOff => $"container \"{container}\" in pod \"{podName}\" is waiting to start: trying and failing to pull image",
                        _ => $"container \"{container}\" in pod \"{podName}\" is waiting to start: {w.Reason}",
                    });
                default:
                    throw KubectlException.BadRequest($"container \"{container}\" in pod \"{podName}\" is waiting to start - no logs yet");
            }
        }
        return AttemptOf(id) ?? throw KubectlException.BadRequest($"container \"{container}\" in pod \"{podName}\" is not available");
    }

    /// <summary>The attempt number in a podshim container ID (<c>podshim://UID/NAME/ATTEMPT</c>).</summary>
    public static int? AttemptOf(string? containerId)
    {
        if (string.IsNullOrEmpty(containerId))
            return null;
        int slash = containerId.LastIndexOf('/');
        return int.TryParse(containerId.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : null;
    }

    /// <summary>Prints what the log holds now, honouring --tail and --timestamps; returns the offset read up to.</summary>
    public static long Write(string logPath, TextWriter output, LogOptions options)
    {
        var reader = new CriLogReader(logPath);
        List<LogLine> lines = reader.ReadAvailable();
        int skip = options.Tail is long tail ? Math.Max(0, lines.Count - (int)Math.Min(tail, int.MaxValue)) : 0;
        for (int i = skip; i < lines.Count; i++)
            Print(output, lines[i], options.Timestamps);
        output.Flush();
        return reader.Offset;
    }

    /// <summary>
    /// -f: prints what the log holds (with --tail), then every new line until the attempt has ended and its
    /// keeper has written everything (exit.json appears after the last line), or <paramref name="stop"/> says so.
    /// </summary>
    public static void Follow(AttemptPathsView attempt, TextWriter output, LogOptions options, CancellationToken stop)
    {
        var reader = new CriLogReader(attempt.Log);
        List<LogLine> first = reader.ReadAvailable();
        int skip = options.Tail is long tail ? Math.Max(0, first.Count - (int)Math.Min(tail, int.MaxValue)) : 0;
        for (int i = skip; i < first.Count; i++)
            Print(output, first[i], options.Timestamps);
        output.Flush();
        while (!stop.IsCancellationRequested)
        {
            bool ended = File.Exists(attempt.Exit) || !Directory.Exists(attempt.Directory);
            foreach (LogLine line in reader.ReadAvailable())
                Print(output, line, options.Timestamps);
            output.Flush();
            if (ended)
                return;
            stop.WaitHandle.WaitOne(100);
        }
    }

    private static void Print(TextWriter output, LogLine line, bool timestamps)
    {
        if (timestamps)
        {
            output.Write(GoTime.TryParseRfc3339(line.Timestamp, out DateTimeOffset t, out int nanos) ? GoTime.Rfc3339Nano(t, nanos) : line.Timestamp);
            output.Write(' ');
        }
        output.Write(line.Text);
        if (line.Complete)
            output.Write('\n');
    }
}

/// <summary>The paths `logs -f` watches: an attempt's directory, log and exit record.</summary>
public sealed record AttemptPathsView(string Directory, string Log, string Exit);

/// <summary>One log line: its first record's time, its text (P pieces joined), whether its F record has come.</summary>
public readonly record struct LogLine(string Timestamp, string Text, bool Complete);

/// <summary>Reads a CRI log incrementally: whole records only, partial (P) records joined per stream until their F.</summary>
public sealed class CriLogReader(string path)
{
    private readonly Dictionary<string, (string Timestamp, StringBuilder Text)> _partial = new();
    private byte[] _carry = [];

    public long Offset { get; private set; }

    public List<LogLine> ReadAvailable()
    {
        var lines = new List<LogLine>();
        byte[] data;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            if (stream.Length <= Offset)
                return lines;
            stream.Seek(Offset, SeekOrigin.Begin);
            data = new byte[stream.Length - Offset];
            int read = 0;
            while (read < data.Length)
            {
                int n = stream.Read(data, read, data.Length - read);
                if (n == 0)
                    break;
                read += n;
            }
            Offset += read;
            if (read < data.Length)
                Array.Resize(ref data, read);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return lines;
        }
        if (_carry.Length > 0)
            data = [.. _carry, .. data];
        int start = 0;
        for (int i = 0; i < data.Length; i++)
        {
            if (data[i] != (byte)'\n')
                continue;
            string record = Encoding.UTF8.GetString(data, start, i - start);
            start = i + 1;
            if (!CriLogRecord.TryParse(record, out CriLogRecord r))
                continue;
            if (r.Partial)
            {
                if (!_partial.TryGetValue(r.Stream, out var p))
                    _partial[r.Stream] = p = (r.Timestamp, new StringBuilder());
                p.Text.Append(r.Text);
                continue;
            }
            if (_partial.Remove(r.Stream, out var pending))
                lines.Add(new LogLine(pending.Timestamp, pending.Text.Append(r.Text).ToString(), true));
            else
                lines.Add(new LogLine(r.Timestamp, r.Text, true));
        }
        _carry = data[start..];
        return lines;
    }
}
