using PodShim.Manifest;
using PodShim.Runtime.ClusterDns;
using PodShim.UnitTests.Fakes;

namespace PodShim.UnitTests.ClusterDns;

public sealed class PodResolvConfTests
{
    private static readonly ResolverConfig Node = ResolverConfig.Parse("""
        # generated
        nameserver 192.0.2.53
        search corp.example lab.example.
        nameserver 192.0.2.54
        options edns0 attempts:2
        """);

    private static Pod PodWith(string spec) => TestPods.Load($"""
        apiVersion: v1
        kind: Pod
        metadata:
          name: web
          namespace: shop
        spec:
          containers:
          - name: app
            image: busybox
        {spec}
        """);

    private static (string Text, List<string> Warnings) Form(Pod pod, ResolverConfig? node = null)
    {
        var warnings = new List<string>();
        return (PodResolvConf.Form(pod, node ?? Node, "10.96.0.10", "cluster.local", warnings).Render(), warnings);
    }

    [Fact]
    public void ParseFollowsTheKubelet()
    {
        Assert.Equal(["192.0.2.53", "192.0.2.54"], Node.Nameservers);
        Assert.Equal(["corp.example", "lab.example"], Node.Searches);
        Assert.Equal(["edns0", "attempts:2"], Node.Options);
        var lastWins = ResolverConfig.Parse("search a\nsearch b c\noptions x\noptions y\nnameserver\n");
        Assert.Equal(["b", "c"], lastWins.Searches);
        Assert.Equal(["y"], lastWins.Options);
        Assert.Empty(lastWins.Nameservers);
    }

    [Fact]
    public void ClusterFirstUsesTheClusterResolverAndTheKubeletSearchPath()
    {
        var (text, warnings) = Form(PodWith(""));
        Assert.Equal("""
            search shop.svc.cluster.local svc.cluster.local cluster.local corp.example lab.example
            nameserver 10.96.0.10
            options ndots:5

            """.Replace("\r", ""), text);
        Assert.Empty(warnings);
        Assert.Equal("search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n",
            Form(TestPods.Load("""
                apiVersion: v1
                kind: Pod
                metadata: {name: a}
                spec:
                  containers: [{name: c, image: busybox}]
                """), ResolverConfig.Empty).Text);
    }

    [Fact]
    public void DefaultUsesTheNodesResolvConf() =>
        Assert.Equal("search corp.example lab.example\nnameserver 192.0.2.53\nnameserver 192.0.2.54\noptions edns0 attempts:2\n",
            Form(PodWith("  dnsPolicy: Default")).Text);

    [Fact]
    public void ClusterFirstOnTheHostNetworkFallsBackToDefault() =>
        Assert.Contains("nameserver 192.0.2.53", Form(PodWith("  hostNetwork: true")).Text);

    [Fact]
    public void ClusterFirstWithHostNetOnTheHostNetworkUsesTheNodeAndSaysWhy()
    {
        var (text, warnings) = Form(PodWith("  hostNetwork: true\n  dnsPolicy: ClusterFirstWithHostNet"));
        Assert.Contains("nameserver 192.0.2.53", text);
        Assert.Contains("ClusterFirstWithHostNet", Assert.Single(warnings));
        Assert.Contains("nameserver 10.96.0.10", Form(PodWith("  dnsPolicy: ClusterFirstWithHostNet")).Text);
    }

    [Fact]
    public void NoneTakesOnlyDnsConfig()
    {
        var (text, _) = Form(PodWith("""
              dnsPolicy: None
              dnsConfig:
                nameservers: [192.0.2.1]
                searches: [ns1.svc.cluster-domain.example, my.dns.search.suffix]
                options:
                - name: ndots
                  value: "2"
                - name: edns0
            """));
        Assert.Equal("search ns1.svc.cluster-domain.example my.dns.search.suffix\nnameserver 192.0.2.1\noptions ndots:2 edns0\n", text);
    }

    [Fact]
    public void DnsConfigIsMergedIntoClusterFirst()
    {
        var (text, _) = Form(PodWith("""
              dnsConfig:
                nameservers: [10.96.0.10, 192.0.2.9]
                searches: [cluster.local, extra.example]
                options:
                - name: ndots
                  value: "1"
                - name: single-request-reopen
            """), ResolverConfig.Empty);
        Assert.Equal("""
            search shop.svc.cluster.local svc.cluster.local cluster.local extra.example
            nameserver 10.96.0.10
            nameserver 192.0.2.9
            options ndots:1 single-request-reopen

            """.Replace("\r", ""), text);
    }

    [Fact]
    public void LimitsDropNameserversAndSearchDomainsWithTheKubeletsWarnings()
    {
        var node = ResolverConfig.Parse("nameserver 192.0.2.1\nnameserver 192.0.2.2\nnameserver 192.0.2.3\nsearch " +
            string.Join(' ', Enumerable.Range(0, 40).Select(i => $"d{i}.example")));
        var (text, warnings) = Form(PodWith("""
              dnsConfig:
                nameservers: [192.0.2.4, 192.0.2.5, 192.0.2.6]
            """), node);
        Assert.Equal(2, warnings.Count);
        Assert.StartsWith("Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: 10.96.0.10 192.0.2.4 192.0.2.5", warnings[0]);
        Assert.StartsWith("Search Line limits were exceeded", warnings[1]);
        string search = text.Split('\n')[0];
        Assert.Equal(1 + 32, search.Split(' ').Length);
        Assert.Equal(3, text.Split('\n').Count(l => l.StartsWith("nameserver", StringComparison.Ordinal)));
    }

    [Fact]
    public void AMissingNodeResolvConfIsEmpty()
    {
        using var dir = new TestDirectory();
        var options = ClusterDnsOptions.Default with { NodeResolvConf = dir.Combine("missing") };
        Assert.Empty(options.ReadNodeConfig().Nameservers);
        Assert.Empty(options.EffectiveUpstreams());
        File.WriteAllText(dir.Combine("resolv.conf"), "nameserver 127.0.0.53\nnameserver ::1\nnameserver bogus\n");
        Assert.Equal(["127.0.0.53:53", "[::1]:53"],
            (options with { NodeResolvConf = dir.Combine("resolv.conf") }).EffectiveUpstreams().Select(e => e.ToString()));
    }

    [Theory]
    [InlineData("127.0.0.1:5353", "127.0.0.1:5353")]
    [InlineData("10.0.0.2", "10.0.0.2:53")]
    [InlineData("127.0.0.1:5353, 10.0.0.2", "127.0.0.1:5353 10.0.0.2:53")]
    [InlineData("[::1]:5353", "[::1]:5353")]
    [InlineData("::1", "[::1]:53")]
    [InlineData("none", "")]
    public void UpstreamDnsIsParsed(string text, string expected) =>
        Assert.Equal(expected, string.Join(' ', ClusterDnsOptions.ParseUpstreams(text).Select(e => e.ToString())));

    [Theory]
    [InlineData("dns.example")]
    [InlineData("127.0.0.1:99999")]
    [InlineData(",")]
    public void BadUpstreamDnsIsRefused(string text) =>
        Assert.Throws<FormatException>(() => ClusterDnsOptions.ParseUpstreams(text));
}
