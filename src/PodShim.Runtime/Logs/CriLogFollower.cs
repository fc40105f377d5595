using System.Text;

namespace PodShim.Runtime.Logs;

/// <summary>One parsed CRI log record: `2016-10-06T00:17:09.669794202Z stdout F text`.</summary>
public readonly record struct CriLogRecord(string Timestamp, string Stream, bool Partial, string Text)
{
    public static bool TryParse(string line, out CriLogRecord record)
    {
        record = default;
        int a = line.IndexOf(' ');
        int b = a < 0 ? -1 : line.IndexOf(' ', a + 1);
        if (b < 0 || b + 2 > line.Length || (line[b + 1] != 'P' && line[b + 1] != 'F') || (b + 2 < line.Length && line[b + 2] != ' '))
            return false;
        string stream = line[(a + 1)..b];
        if (stream is not ("stdout" or "stderr"))
            return false;
        record = new CriLogRecord(line[..a], stream, line[b + 1] == 'P', b + 3 <= line.Length ? line[(b + 3)..] : "");
        return true;
    }
}

/// <summary>
/// Follows containers' CRI log files and prints whole lines prefixed with the container name
/// (stdout records to stdout, stderr records to stderr), joining P pieces until their F.
/// </summary>
public sealed class CriLogFollower : IDisposable
{
    private readonly TextWriter _out;
    private readonly TextWriter _err;
    private readonly List<Source> _sources = new();
    private readonly Lock _lock = new();
    private readonly Timer _timer;

    private sealed class Source(string name, string path)
    {
        public string Name { get; } = name;
        public string Path { get; } = path;
        public long Offset;
        public readonly StringBuilder Pending = new();
        public readonly Dictionary<string, StringBuilder> Partial = new();
    }

    public CriLogFollower(TextWriter stdout, TextWriter stderr, TimeSpan interval)
    {
        _out = stdout;
        _err = stderr;
        _timer = new Timer(_ => Poll(), null, interval, interval);
    }

    public void Add(string containerName, string logPath)
    {
        lock (_lock)
            _sources.Add(new Source(containerName, logPath));
    }

    /// <summary>Reads whatever is new in every followed file.</summary>
    public void Poll()
    {
        lock (_lock)
        {
            foreach (Source source in _sources)
                Read(source);
            _out.Flush();
            _err.Flush();
        }
    }

    private void Read(Source source)
    {
        if (!File.Exists(source.Path))
            return;
        using var stream = new FileStream(source.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        if (stream.Length <= source.Offset)
            return;
        stream.Seek(source.Offset, SeekOrigin.Begin);
        var buffer = new byte[stream.Length - source.Offset];
        int read = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        // Only consume complete records: the keeper writes each with one write().
        int end = Array.LastIndexOf(buffer, (byte)'\n', read - 1);
        if (end < 0)
            return;
        source.Offset += end + 1;
        foreach (string line in Encoding.UTF8.GetString(buffer, 0, end).Split('\n'))
        {
            if (!CriLogRecord.TryParse(line, out CriLogRecord record))
                continue;
            if (!source.Partial.TryGetValue(record.Stream, out StringBuilder? partial))
                source.Partial[record.Stream] = partial = new StringBuilder();
            partial.Append(record.Text);
            if (record.Partial)
                continue;
            (record.Stream == "stderr" ? _err : _out).WriteLine($"[{source.Name}] {partial}");
            partial.Clear();
        }
    }

    public void Dispose()
    {
        _timer.Dispose();
        Poll();
    }
}
