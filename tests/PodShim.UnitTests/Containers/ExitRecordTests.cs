using PodShim.Runtime.Containers;
using PodShim.UnitTests.Fakes;

namespace PodShim.UnitTests.Containers;

public sealed class ExitRecordTests
{
    [Fact]
    public void ParsesAKilledContainer()
    {
        ExitRecord r = ExitRecord.Parse("""
            {"pid":123,"started":true,"exitCode":137,"signal":9,"startedAt":"2026-01-02T03:04:05.123456789Z","finishedAt":"2026-01-02T03:04:09.5Z","oomKilled":true}
            """);
        Assert.Equal(123, r.Pid);
        Assert.True(r.Started);
        Assert.Equal(137, r.ExitCode);
        Assert.Equal(9, r.Signal);
        Assert.True(r.OomKilled);
        Assert.NotNull(r.StartedAt);
        Assert.Equal(TimeSpan.Zero, r.StartedAt!.Value.Offset);
        // Nanoseconds are kept to the 100 ns tick .NET has.
        var expectedStart = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero).AddTicks(1_234_567);
        Assert.InRange(Math.Abs((r.StartedAt.Value - expectedStart).Ticks), 0, 1);
        Assert.Equal(new DateTimeOffset(2026, 1, 2, 3, 4, 9, 500, TimeSpan.Zero), r.FinishedAt);
    }

    [Fact]
    public void ParsesAContainerThatNeverStarted()
    {
        ExitRecord r = ExitRecord.Parse("""
            {"pid":0,"started":false,"exitCode":128,"signal":0,"startedAt":null,"finishedAt":"2026-01-02T03:04:05Z","oomKilled":false}
            """);
        Assert.False(r.Started);
        Assert.Null(r.StartedAt);
        Assert.Equal(128, r.ExitCode);
        Assert.Equal(0, r.Signal);
        Assert.False(r.OomKilled);
        Assert.Equal(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero), r.FinishedAt);
    }

    [Fact]
    public void MissingFieldIsAnError()
    {
        Assert.Throws<KeyNotFoundException>(() => ExitRecord.Parse("""{"pid":1,"started":true,"signal":0,"startedAt":null,"finishedAt":"2026-01-02T03:04:05Z","oomKilled":false}"""));
    }

    [Fact]
    public void TryReadReturnsNullUntilTheFileExists()
    {
        using var dir = new TestDirectory();
        string path = dir.Combine("exit.json");
        Assert.Null(ExitRecord.TryRead(path));
        File.WriteAllText(path, """{"pid":7,"started":true,"exitCode":0,"signal":0,"startedAt":"2026-01-02T03:04:05Z","finishedAt":"2026-01-02T03:04:06Z","oomKilled":false}""");
        ExitRecord? r = ExitRecord.TryRead(path);
        Assert.NotNull(r);
        Assert.Equal(7, r!.Pid);
        Assert.Equal(0, r.ExitCode);
    }
}
