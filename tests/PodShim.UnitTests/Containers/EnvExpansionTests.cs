using PodShim.Runtime.Containers;

using PodShim.Manifest;

namespace PodShim.UnitTests.Containers;

public sealed class EnvExpansionTests
{
    private static readonly Dictionary<string, string> s_vars = new()
    {
        ["A"] = "alpha",
        ["B"] = "beta",
        ["EMPTY"] = "",
        ["DOLLAR"] = "$(A)",
    };

    private static string Expand(string input) => EnvExpansion.Expand(input, n => s_vars.GetValueOrDefault(n));

    // Cases from Kubernetes' third_party/forked/golang/expansion/expand_test.go.
    [Theory]
    [InlineData("", "")]
    [InlineData("plain text", "plain text")]
    [InlineData("$(A)", "alpha")]
    [InlineData("x$(A)y", "xalphay")]
    [InlineData("$(A)$(B)", "alphabeta")]
    [InlineData("$(A)-$(B)-$(A)", "alpha-beta-alpha")]
    [InlineData("$(EMPTY)", "")]
    [InlineData("[$(EMPTY)]", "[]")]
    [InlineData("$(UNKNOWN)", "$(UNKNOWN)")]
    [InlineData("a $(UNKNOWN) b $(A)", "a $(UNKNOWN) b alpha")]
    [InlineData("$()", "$()")]
    [InlineData("$$", "$")]
    [InlineData("$$$$", "$$")]
    [InlineData("$$(A)", "$(A)")]
    [InlineData("$$$(A)", "$alpha")]
    [InlineData("$(A", "$(A")]
    [InlineData("x $(A", "x $(A")]
    [InlineData("$x", "$x")]
    [InlineData("$A", "$A")]
    [InlineData("$", "$")]
    [InlineData("end$", "end$")]
    [InlineData("$(DOLLAR)", "$(A)")] // values are not expanded again
    [InlineData("$(A B)", "$(A B)")]
    public void ExpandsLikeKubernetes(string input, string expected)
    {
        Assert.Equal(expected, Expand(input));
    }

    [Fact]
    public void UnterminatedReferenceDoesNotStopExpansionOfWhatFollows()
    {
        // Kubernetes' tryReadVariableName returns "$(" for an incomplete reference and the scan goes on,
        // so a later $$ is still an escape.
        Assert.Equal("$(A $", Expand("$(A $$"));
    }

    [Fact]
    public void AnEmptyReferenceStaysAsWritten()
    {
        // Kubernetes looks "" up like any name; nothing defines it, so "$()" stays.
        Assert.Equal("$() a", EnvExpansion.Expand("$() $(A)", n => n == "A" ? "a" : null));
    }
}
