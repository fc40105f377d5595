using PodShim.Runtime.Status;

namespace PodShim.UnitTests.Status;

public class DurationTests
{
    private const long Ms = 1, S = 1000, M = 60 * S, H = 60 * M, D = 24 * H;

    // apimachinery duration_test.go TestHumanDuration, plus boundaries of every branch
    [Theory]
    [InlineData(1 * S, "1s")]
    [InlineData(70 * S, "70s")]
    [InlineData(190 * S, "3m10s")]
    [InlineData(70 * M, "70m")]
    [InlineData(47 * H, "47h")]
    [InlineData(49 * H, "2d1h")]
    [InlineData((8 * 24 + 2) * H, "8d")]
    [InlineData(367 * D, "367d")]
    [InlineData((365 * 2 * 24 + 25) * H, "2y1d")]
    [InlineData((365 * 8 * 24 + 2) * H, "8y")]
    [InlineData(0, "0s")]
    [InlineData(-1 * S, "0s")]
    [InlineData(-1999 * Ms, "0s")]
    [InlineData(-2 * S, "<invalid>")]
    [InlineData(45 * S, "45s")]
    [InlineData(119 * S + 999, "119s")]
    [InlineData(120 * S, "2m")]
    [InlineData(200 * S, "3m20s")]
    [InlineData(6 * M, "6m")]
    [InlineData(10 * M - 1, "9m59s")]
    [InlineData(10 * M + 30 * S, "10m")]
    [InlineData(3 * H - 1, "179m")]
    [InlineData(3 * H, "3h")]
    [InlineData(2 * H + 15 * M, "135m")] // below 3 h minutes only: "2h15m" never appears
    [InlineData(3 * H + 15 * M, "3h15m")]
    [InlineData(8 * H - 1, "7h59m")]
    [InlineData(8 * H, "8h")]
    [InlineData(48 * H, "2d")]
    [InlineData(3 * D + 4 * H, "3d4h")]
    [InlineData(8 * D - 1, "7d23h")]
    [InlineData(2 * 365 * D, "2y")]
    [InlineData(3 * 365 * D + 45 * D, "3y45d")]
    [InlineData(20 * 365 * D, "20y")]
    public void HumanDuration(long ms, string expected) =>
        Assert.Equal(expected, KubectlPrinter.HumanDuration(TimeSpan.FromMilliseconds(ms)));

    // apimachinery duration_test.go TestShortHumanDuration, plus boundaries
    [Theory]
    [InlineData(1 * S, "1s")]
    [InlineData(70 * S, "1m")]
    [InlineData(70 * M, "1h")]
    [InlineData(47 * H, "1d")]
    [InlineData(49 * H, "2d")]
    [InlineData((8 * 24 + 2) * H, "8d")]
    [InlineData(367 * D, "1y")]
    [InlineData((365 * 2 * 24 + 25) * H, "2y")]
    [InlineData((365 * 8 * 24 + 2) * H, "8y")]
    [InlineData(0, "0s")]
    [InlineData(-1 * S, "0s")]
    [InlineData(-2 * S, "<invalid>")]
    [InlineData(45 * S, "45s")]
    [InlineData(59 * S + 999, "59s")]
    [InlineData(60 * S, "1m")]
    [InlineData(6 * M + 59 * S, "6m")]
    [InlineData(60 * M - 1, "59m")]
    [InlineData(2 * H + 59 * M, "2h")]
    [InlineData(24 * H - 1, "23h")]
    [InlineData(3 * D + 23 * H, "3d")]
    [InlineData(365 * D - 1, "364d")]
    [InlineData(365 * D, "1y")]
    public void ShortHumanDuration(long ms, string expected) =>
        Assert.Equal(expected, KubectlPrinter.ShortHumanDuration(TimeSpan.FromMilliseconds(ms)));

    // Go's time.Duration.String, as the back-off message prints it
    [Theory]
    [InlineData(0, "0s")]
    [InlineData(10 * S, "10s")]
    [InlineData(40 * S, "40s")]
    [InlineData(80 * S, "1m20s")]
    [InlineData(160 * S, "2m40s")]
    [InlineData(300 * S, "5m0s")]
    [InlineData(H, "1h0m0s")]
    [InlineData(26 * H + 3 * M + 4 * S, "26h3m4s")]
    [InlineData(1500, "1.5s")]
    [InlineData(61 * S + 250, "1m1.25s")]
    [InlineData(250, "250ms")]
    [InlineData(-10 * S, "-10s")]
    public void GoDurationString(long ms, string expected) =>
        Assert.Equal(expected, Durations.GoString(TimeSpan.FromMilliseconds(ms)));

    [Theory]
    [InlineData(15, "1.5µs")]
    [InlineData(1, "100ns")]
    [InlineData(12345, "1.2345ms")]
    public void GoDurationString_sub_millisecond(long ticks, string expected) =>
        Assert.Equal(expected, Durations.GoString(TimeSpan.FromTicks(ticks)));
}
