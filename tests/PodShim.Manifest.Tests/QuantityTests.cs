namespace PodShim.Manifest.Tests;

public class QuantityTests
{
    [Theory]
    // input, canonical String(), MilliValue
    [InlineData("0", "0", 0)]
    [InlineData("128Mi", "128Mi", 134217728000)]
    [InlineData("1Gi", "1Gi", 1073741824000)]
    [InlineData("1024Mi", "1Gi", 1073741824000)]
    [InlineData("1536Mi", "1536Mi", 1610612736000)]
    [InlineData("500m", "500m", 500)]
    [InlineData("0.5", "500m", 500)]
    [InlineData(".5", "500m", 500)]
    [InlineData("1e3", "1e3", 1000000)]
    [InlineData("1E3", "1E3", 1000000)]          // canonical input is kept as written
    [InlineData("2k", "2k", 2000000)]
    [InlineData("1M", "1M", 1000000000)]
    [InlineData("1000", "1k", 1000000)]
    [InlineData("1000m", "1", 1000)]
    [InlineData("1.5", "1500m", 1500)]
    [InlineData("1.5Gi", "1536Mi", 1610612736000)]
    [InlineData("0.5Gi", "512Mi", 536870912000)]
    [InlineData("0.5Ki", "512", 512000)]
    [InlineData("100m", "100m", 100)]
    [InlineData("1n", "1n", 1)]
    [InlineData("0.1n", "1n", 1)]           // rounded up to the nearest nano
    [InlineData("1.0000000001", "1000000001n", 1001)]
    [InlineData("-1", "-1", -1000)]
    [InlineData("+1", "+1", 1000)]          // String() keeps the input when it is canonical
    [InlineData("01", "01", 1000)]
    [InlineData("1k", "1k", 1000000)]
    [InlineData("1Ki", "1Ki", 1024000)]
    [InlineData("12e6", "12e6", 12000000000)]
    [InlineData("1.5e3", "1500", 1500000)]
    [InlineData("100Mi", "100Mi", 104857600000)]
    [InlineData("1u", "1u", 1)]
    [InlineData("2.5u", "2500n", 1)]
    [InlineData("1e-3", "1e-3", 1)]
    [InlineData("9223372036854775807", "9223372036854775807", long.MaxValue)]
    [InlineData("10000000000000000000", "9223372036854775807", long.MaxValue)] // capped
    [InlineData("8Ei", "9223372036854775807", long.MaxValue)]
    [InlineData("m", "0", 0)]
    [InlineData("1.", "1.", 1000)]
    [InlineData("1.0", "1", 1000)]
    [InlineData("2000e-3", "2", 2000)]
    public void ParsesAndPrintsAsKubernetes(string input, string canonical, long milli)
    {
        var q = Quantity.Parse(input);
        Assert.Equal(canonical, q.ToString());
        Assert.Equal(milli, q.MilliValue);
    }

    [Theory]
    [InlineData("", Quantity.ErrFormatWrong)]
    [InlineData("abc", Quantity.ErrFormatWrong)]
    [InlineData("1 Gi", Quantity.ErrFormatWrong)]
    [InlineData("1Gb", Quantity.ErrFormatWrong)]
    [InlineData("1x", Quantity.ErrFormatWrong)]
    [InlineData("1e", Quantity.ErrSuffix)]
    [InlineData("1mi", Quantity.ErrSuffix)]
    [InlineData("1KiB", Quantity.ErrFormatWrong)]
    [InlineData("1ki", Quantity.ErrSuffix)]
    [InlineData("1en", Quantity.ErrSuffix)]
    public void RejectsWithKubernetesErrors(string input, string error)
    {
        Assert.False(Quantity.TryParse(input, out _, out var message));
        Assert.Equal(error, message);
    }

    [Fact]
    public void FormatWrongMessageIsKubernetes()
    {
        Assert.Equal("quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'", Quantity.ErrFormatWrong);
    }

    [Theory]
    [InlineData("1", "1000m", 0)]
    [InlineData("1Gi", "1G", 1)]
    [InlineData("999m", "1", -1)]
    [InlineData("-1", "0", -1)]
    [InlineData("1e3", "1k", 0)]
    [InlineData("1e100", "9223372036854775807", 1)]
    public void ComparesValues(string a, string b, int sign)
    {
        Assert.Equal(sign, Math.Sign(Quantity.Parse(a).CompareTo(Quantity.Parse(b))));
        Assert.Equal(sign == 0, Quantity.Parse(a) == Quantity.Parse(b));
    }

    [Theory]
    [InlineData("100m", "200m", "300m")]
    [InlineData("64Mi", "64Mi", "128Mi")]
    [InlineData("0", "64Mi", "64Mi")]
    [InlineData("1", "500m", "1500m")]
    public void AddsLikeQuantityAdd(string a, string b, string sum)
    {
        Assert.Equal(sum, (Quantity.Parse(a) + Quantity.Parse(b)).ToString());
    }

    [Theory]
    [InlineData("1.5", 2)]
    [InlineData("100m", 1)]
    [InlineData("128Mi", 134217728)]
    [InlineData("-1.5", -2)]
    public void ValueRoundsAwayFromZero(string input, long value) => Assert.Equal(value, Quantity.Parse(input).Value);
}
