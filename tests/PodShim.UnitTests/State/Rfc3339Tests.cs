using System.Globalization;
using PodShim.Runtime.State;

namespace PodShim.UnitTests.State;

public sealed class Rfc3339Tests
{
    [Theory]
    [InlineData("2026-11-22T06:14:00Z")]
    [InlineData("2026-11-22T06:14:00.5Z")]
    [InlineData("2026-11-22T06:14:00.1234567Z")]
    [InlineData("2026-11-22T06:14:00.123456789Z")]
    [InlineData("2026-11-22T08:14:00+02:00")]
    [InlineData("2026-11-22T01:44:00.25-04:30")]
    [InlineData("2024-02-29T23:59:59Z")]
    [InlineData("2026-11-22 06:14:00Z")]
    public void Times_parse_as_the_framework_parses_them(string text)
    {
        DateTimeOffset expected = DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
        DateTimeOffset parsed = Rfc3339.Parse(text);
        Assert.Equal(expected.UtcTicks / 10 * 10, parsed.UtcTicks / 10 * 10);
        Assert.Equal(TimeSpan.Zero, parsed.Offset);
    }

    [Fact]
    public void What_is_not_a_time_is_an_error()
    {
        Assert.Throws<FormatException>(() => Rfc3339.Parse("2026-02-30T00:00:00Zx"));
        Assert.Throws<FormatException>(() => Rfc3339.Parse("not a time"));
    }
}
