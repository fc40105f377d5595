using PodShim.Runtime.Logs;
using PodShim.UnitTests.Fakes;

namespace PodShim.UnitTests.Logs;

public sealed class CriLogRecordTests
{
    private const string Ts = "2016-10-06T00:17:09.669794202Z";

    [Theory]
    [InlineData(Ts + " stdout F hello world", "stdout", false, "hello world")]
    [InlineData(Ts + " stderr F oops", "stderr", false, "oops")]
    [InlineData(Ts + " stdout P part", "stdout", true, "part")]
    [InlineData(Ts + " stdout F ", "stdout", false, "")]
    [InlineData(Ts + " stdout F", "stdout", false, "")]
    [InlineData(Ts + " stdout F  two spaces", "stdout", false, " two spaces")]
    [InlineData(Ts + " stdout F a F b", "stdout", false, "a F b")]
    [InlineData(Ts + " stdout F tab\there", "stdout", false, "tab\there")]
    public void ParsesValidRecords(string line, string stream, bool partial, string text)
    {
        Assert.True(CriLogRecord.TryParse(line, out CriLogRecord record));
        Assert.Equal(new CriLogRecord(Ts, stream, partial, text), record);
    }

    [Theory]
    [InlineData("")]
    [InlineData("garbage")]
    [InlineData(Ts)]
    [InlineData(Ts + " stdout")]
    [InlineData(Ts + " stdout ")]
    [InlineData(Ts + " stdin F text")]
    [InlineData(Ts + " STDOUT F text")]
    [InlineData(Ts + " stdout X text")]
    [InlineData(Ts + " stdout f text")]
    [InlineData(Ts + " stdout FF text")]
    [InlineData(Ts + " stdout Ftext")]
    [InlineData(Ts + "  stdout F text")]
    public void RejectsMalformedLines(string line)
    {
        Assert.False(CriLogRecord.TryParse(line, out _));
    }
}

public sealed class CriLogFollowerTests : IDisposable
{
    private const string Ts = "2026-01-02T03:04:05.000000000Z";
    private readonly TestDirectory _dir = new();
    private readonly StringWriter _out = new() { NewLine = "\n" };
    private readonly StringWriter _err = new() { NewLine = "\n" };
    private readonly CriLogFollower _follower;

    public CriLogFollowerTests()
    {
        // The timer never fires during a test: Poll() is called explicitly.
        _follower = new CriLogFollower(_out, _err, TimeSpan.FromHours(1));
    }

    public void Dispose()
    {
        _follower.Dispose();
        _dir.Dispose();
    }

    private string Log(string name)
    {
        string path = _dir.Combine(name + ".log");
        _follower.Add(name, path);
        return path;
    }

    private static void Append(string path, string text) => File.AppendAllText(path, text);

    [Fact]
    public void MissingFileIsIgnored()
    {
        Log("app");
        _follower.Poll();
        Assert.Equal("", _out.ToString());
        Assert.Equal("", _err.ToString());
    }

    [Fact]
    public void WholeLinesArePrefixedWithTheContainerName()
    {
        string log = Log("app");
        Append(log, $"{Ts} stdout F hello\n{Ts} stdout F world\n");
        _follower.Poll();
        Assert.Equal("[app] hello\n[app] world\n", _out.ToString());
        Assert.Equal("", _err.ToString());
    }

    [Fact]
    public void StderrRecordsGoToTheStderrWriter()
    {
        string log = Log("app");
        Append(log, $"{Ts} stdout F out1\n{Ts} stderr F err1\n{Ts} stdout F out2\n");
        _follower.Poll();
        Assert.Equal("[app] out1\n[app] out2\n", _out.ToString());
        Assert.Equal("[app] err1\n", _err.ToString());
    }

    [Fact]
    public void PartialPiecesAreJoinedUntilTheFullRecord()
    {
        string log = Log("app");
        Append(log, $"{Ts} stdout P abc\n{Ts} stdout P def\n");
        _follower.Poll();
        Assert.Equal("", _out.ToString());
        Append(log, $"{Ts} stdout F ghi\n");
        _follower.Poll();
        Assert.Equal("[app] abcdefghi\n", _out.ToString());
    }

    [Fact]
    public void PartialPiecesOfStdoutAndStderrAreKeptApart()
    {
        string log = Log("app");
        Append(log, $"{Ts} stdout P o1\n{Ts} stderr P e1\n{Ts} stdout F o2\n{Ts} stderr F e2\n");
        _follower.Poll();
        Assert.Equal("[app] o1o2\n", _out.ToString());
        Assert.Equal("[app] e1e2\n", _err.ToString());
    }

    [Fact]
    public void IncompleteTrailingRecordWaitsForItsNewline()
    {
        string log = Log("app");
        Append(log, $"{Ts} stdout F first\n{Ts} stdout F sec");
        _follower.Poll();
        Assert.Equal("[app] first\n", _out.ToString());
        Append(log, "ond\n");
        _follower.Poll();
        Assert.Equal("[app] first\n[app] second\n", _out.ToString());
    }

    [Fact]
    public void RecordWithoutAnyNewlineIsNotConsumed()
    {
        string log = Log("app");
        Append(log, $"{Ts} stdout F no newline yet");
        _follower.Poll();
        _follower.Poll();
        Assert.Equal("", _out.ToString());
        Append(log, "\n");
        _follower.Poll();
        Assert.Equal("[app] no newline yet\n", _out.ToString());
    }

    [Fact]
    public void EachRecordIsPrintedOnce()
    {
        string log = Log("app");
        Append(log, $"{Ts} stdout F one\n");
        _follower.Poll();
        _follower.Poll();
        Append(log, $"{Ts} stdout F two\n");
        _follower.Poll();
        _follower.Poll();
        Assert.Equal("[app] one\n[app] two\n", _out.ToString());
    }

    [Fact]
    public void MalformedLinesAreSkipped()
    {
        string log = Log("app");
        Append(log, $"not a record\n{Ts} stdout F good\n\n");
        _follower.Poll();
        Assert.Equal("[app] good\n", _out.ToString());
    }

    [Fact]
    public void EmptyFullRecordPrintsAnEmptyLine()
    {
        string log = Log("app");
        Append(log, $"{Ts} stdout F \n");
        _follower.Poll();
        Assert.Equal("[app] \n", _out.ToString());
    }

    [Fact]
    public void UnicodeTextSurvives()
    {
        string log = Log("app");
        Append(log, $"{Ts} stdout F grüße ✓\n");
        _follower.Poll();
        Assert.Equal("[app] grüße ✓\n", _out.ToString());
    }

    [Fact]
    public void SeveralContainersArePrefixedWithTheirOwnNames()
    {
        string a = Log("web");
        string b = Log("sidecar");
        Append(a, $"{Ts} stdout F from web\n");
        Append(b, $"{Ts} stderr F from sidecar\n");
        _follower.Poll();
        Assert.Equal("[web] from web\n", _out.ToString());
        Assert.Equal("[sidecar] from sidecar\n", _err.ToString());
    }

    [Fact]
    public void DisposeReadsWhatIsLeft()
    {
        string log = Log("app");
        Append(log, $"{Ts} stdout F last words\n");
        _follower.Dispose();
        Assert.Equal("[app] last words\n", _out.ToString());
    }
}
