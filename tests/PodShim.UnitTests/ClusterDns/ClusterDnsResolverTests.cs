using PodShim.Runtime.ClusterDns;

namespace PodShim.UnitTests.ClusterDns;

public sealed class ClusterDnsResolverTests : IDisposable
{
    private readonly ResolverFixture _f = new();

    public void Dispose() => _f.Dispose();

    private TestDns.Message Answer(string name, ushort type = DnsType.A)
    {
        TestDns.Message? m = _f.Ask(name, type);
        Assert.NotNull(m);
        return m;
    }

    [Theory]
    [InlineData("myservice")]
    [InlineData("myservice.default")]
    [InlineData("myservice.default.svc")]
    [InlineData("myservice.default.svc.cluster.local")]
    [InlineData("myservice.default.svc.cluster.local.")]
    [InlineData("MyService.DEFAULT.Svc.Cluster.Local")]
    public void EveryFormOfAServiceNameAnswersItsClusterIP(string name)
    {
        string ip = _f.Apply("myservice").ClusterIP;
        var m = Answer(name);
        Assert.Equal(DnsRcode.NoError, m.Rcode);
        Assert.True(m.Authoritative);
        Assert.Equal([ip], m.Addresses);
        Assert.Equal(name.TrimEnd('.'), m.Answers[0].Name); // the name as asked, case kept
        Assert.Equal(ClusterDnsResolver.Ttl, m.Answers[0].Ttl);
    }

    [Fact]
    public void AaaaForAKnownNameIsNoErrorWithoutRecords()
    {
        _f.Apply("myservice");
        foreach (string name in new[] { "myservice", "myservice.default.svc.cluster.local" })
        {
            var m = Answer(name, DnsType.AAAA);
            Assert.Equal(DnsRcode.NoError, m.Rcode);
            Assert.Empty(m.Answers);
        }
        // In the zone, the SOA comes along for negative caching.
        Assert.Equal("cluster.local", Assert.Single(Answer("myservice.default.svc.cluster.local", DnsType.AAAA).Authorities).Name);
        Assert.Empty(Answer("myservice", DnsType.MX).Answers);
    }

    [Theory]
    [InlineData("nosuch")]
    [InlineData("nosuch.default.svc")]
    [InlineData("nosuch.default.svc.cluster.local")]
    [InlineData("a.b.c.d.e.svc.cluster.local")]
    [InlineData("whatever.cluster.local")]
    [InlineData("nons.svc.cluster.local")]
    public void UnknownClusterNamesAreNxDomain(string name)
    {
        _f.Apply("myservice");
        var m = Answer(name);
        Assert.Equal(DnsRcode.NxDomain, m.Rcode);
        Assert.Empty(m.Answers);
        Assert.Equal(DnsRcode.NxDomain, Answer(name, DnsType.AAAA).Rcode);
    }

    [Fact]
    public void TheOtherSearchExpansionsOfAServicesBareNameAreNoDataNotNxDomain()
    {
        // busybox 1.35's nslookup asks all three and fails on any NXDOMAIN: see IsSearchSiblingOfAService.
        Assert.Equal(DnsRcode.NxDomain, Answer("myservice.svc.cluster.local").Rcode);
        Assert.Equal(DnsRcode.NxDomain, Answer("myservice.cluster.local").Rcode);
        _f.Apply("myservice");
        foreach (string name in new[] { "myservice.svc.cluster.local", "myservice.cluster.local" })
        {
            foreach (ushort type in new[] { DnsType.A, DnsType.AAAA })
            {
                var m = Answer(name, type);
                Assert.Equal(DnsRcode.NoError, m.Rcode);
                Assert.Empty(m.Answers);
            }
        }
        // Only for Services of the pod's own namespace.
        _f.Apply("api", ns: "shop");
        Assert.Equal(DnsRcode.NxDomain, Answer("api.cluster.local").Rcode);
    }

    [Fact]
    public void UnknownNamesInTheZoneCarryTheSoa()
    {
        var m = Answer("nosuch.default.svc.cluster.local");
        Assert.True(m.Authoritative);
        var soa = Assert.Single(m.Authorities);
        Assert.Equal(DnsType.SOA, soa.Type);
        Assert.Equal("ns.dns.cluster.local hostmaster.cluster.local", soa.DataName);
    }

    [Theory]
    [InlineData("cluster.local")]
    [InlineData("svc.cluster.local")]
    [InlineData("default.svc.cluster.local")]
    [InlineData("pod.cluster.local")]
    public void EmptyNonTerminalsOfTheZoneExistWithoutRecords(string name)
    {
        var m = Answer(name);
        Assert.Equal(DnsRcode.NoError, m.Rcode);
        Assert.Empty(m.Answers);
    }

    [Fact]
    public void AServiceOfAnotherNamespaceNeedsItsNamespace()
    {
        string ip = _f.Apply("api", ns: "shop").ClusterIP;
        Assert.Equal([ip], Answer("api.shop").Addresses);
        Assert.Equal([ip], Answer("api.shop.svc.cluster.local").Addresses);
        Assert.Equal(DnsRcode.NxDomain, Answer("api").Rcode);
        Assert.Equal(DnsRcode.NoError, Answer("shop.svc.cluster.local").Rcode);
    }

    [Theory]
    [InlineData("example.com")]
    [InlineData("www.example.com")]
    [InlineData("nosuch.default")]     // could be an Internet name
    [InlineData("a.b.c.d.e.f")]
    [InlineData("1.0.0.127.in-addr.arpa")]
    public void OtherNamesAreForwarded(string name) => Assert.Null(_f.Ask(name));

    [Fact]
    public void NonInternetClassesAreForwarded() =>
        Assert.Equal(DnsHandling.Forward, _f.Handler.Handle(TestDns.Query("myservice", qclass: 3), new byte[512], false, out _));

    [Fact]
    public void ServicesAppliedOrDeletedLaterAreSeenByTheNextQuery()
    {
        Assert.Equal(DnsRcode.NxDomain, Answer("mydb").Rcode);
        string ip = _f.Apply("mydb").ClusterIP;
        Assert.Equal([ip], Answer("mydb").Addresses);
        Assert.True(_f.Store.Delete("default", "mydb"));
        Assert.Equal(DnsRcode.NxDomain, Answer("mydb").Rcode);
        string again = _f.Apply("mydb", clusterIP: "10.96.0.77").ClusterIP;
        Assert.Equal(["10.96.0.77"], Answer("mydb.default.svc.cluster.local").Addresses);
        Assert.Equal("10.96.0.77", again);
    }

    [Fact]
    public void TheRegistryIsNotReReadForEveryQueryOnceItIsStable()
    {
        _f.Apply("myservice");
        Answer("myservice");
        Thread.Sleep(120); // past the racy window: the directory's mtime is now older than the last read
        Answer("myservice");
        int reloads = _f.View.Reloads;
        for (int i = 0; i < 100; i++)
            Answer("myservice");
        Assert.Equal(reloads, _f.View.Reloads);
    }

    [Fact]
    public void AHeadlessServiceAnswersThisPodWhenItSelectsItAndItIsReady()
    {
        _f.Apply("web", clusterIP: "None", selector: new Dictionary<string, string> { ["app"] = "web" });
        _f.Apply("other", clusterIP: "None", selector: new Dictionary<string, string> { ["app"] = "db" });
        Assert.Equal(["127.0.1.1"], Answer("web.default.svc.cluster.local").Addresses);
        Assert.Equal(DnsRcode.NxDomain, Answer("other").Rcode); // no endpoints: NXDOMAIN (kubernetes/dns#245)
        _f.Ready = false;
        Assert.Equal(DnsRcode.NxDomain, Answer("web").Rcode);
        _f.Apply("web", clusterIP: "None", selector: new Dictionary<string, string> { ["app"] = "web" }, publishNotReady: true);
        Assert.Equal(["127.0.1.1"], Answer("web").Addresses);
    }

    [Fact]
    public void ThePodsHostnameUnderItsSubdomainNeedsAHeadlessServiceOfThatName()
    {
        Assert.Equal(DnsRcode.NxDomain, Answer("web-0.web.default.svc.cluster.local").Rcode);
        _f.Apply("web", clusterIP: "None");
        Assert.Equal(["127.0.1.1"], Answer("web-0.web.default.svc.cluster.local").Addresses);
        Assert.Equal(["127.0.1.1"], Answer("web-0.web").Addresses);
        Assert.Equal(["127.0.1.1"], Answer("web-0.web.default").Addresses);
        Assert.Equal(["127.0.1.1"], Answer("web-0.web.default.svc").Addresses);
        Assert.Equal(DnsRcode.NxDomain, Answer("web-1.web.default.svc.cluster.local").Rcode);
        Assert.Null(_f.Ask("web-1.web")); // unknown two-label names go upstream
    }

    [Theory]
    [InlineData("10-1-2-3.default.pod.cluster.local", "10.1.2.3")]
    [InlineData("192-168-0-255.shop.pod.cluster.local", "192.168.0.255")]
    public void PodAddressNamesAnswerTheirAddress(string name, string ip) => Assert.Equal([ip], Answer(name).Addresses);

    [Theory]
    [InlineData("1-2-3.default.pod.cluster.local")]
    [InlineData("1-2-3-256.default.pod.cluster.local")]
    [InlineData("a-b-c-d.default.pod.cluster.local")]
    [InlineData("1--2-3.default.pod.cluster.local")]
    public void MalformedPodAddressNamesAreNxDomain(string name) => Assert.Equal(DnsRcode.NxDomain, Answer(name).Rcode);

    [Fact]
    public void ReverseNamesOfServiceAddressesPointAtTheService()
    {
        _f.Apply("myservice", clusterIP: "10.96.0.53");
        var m = Answer("53.0.96.10.in-addr.arpa", DnsType.PTR);
        Assert.Equal("myservice.default.svc.cluster.local", Assert.Single(m.Answers).DataName);
        Assert.Equal(DnsRcode.NxDomain, Answer("54.0.96.10.in-addr.arpa", DnsType.PTR).Rcode);
        Assert.Equal(DnsRcode.NoError, Answer("96.10.in-addr.arpa", DnsType.PTR).Rcode);
        Assert.Null(_f.Ask("53.0.95.10.in-addr.arpa", DnsType.PTR)); // outside 10.96.0.0/12
    }

    [Fact]
    public void AnExternalNameServiceIsACname()
    {
        _f.Apply("ext", type: "ExternalName", externalName: "db.example.com");
        var m = Answer("ext");
        var cname = Assert.Single(m.Answers);
        Assert.Equal(DnsType.CNAME, cname.Type);
        Assert.Equal("db.example.com", cname.DataName);
    }

    [Fact]
    public void ErrorsAnswerFormErrNotImpAndBadVers()
    {
        var response = new byte[512];
        byte[] noQuestion = TestDns.Query("a");
        noQuestion[5] = 0;
        Assert.Equal(DnsHandling.Reply, _f.Handler.Handle(noQuestion, response, false, out int n));
        Assert.Equal(DnsRcode.FormErr, TestDns.Parse(response.AsSpan(0, n)).Rcode);

        Assert.Equal(DnsHandling.Reply, _f.Handler.Handle(TestDns.Query("a", flags: 0x2000), response, false, out n));
        var notImp = TestDns.Parse(response.AsSpan(0, n));
        Assert.Equal(DnsRcode.NotImp, notImp.Rcode);
        Assert.Equal(0x2000, notImp.Flags & 0x7800); // the opcode is echoed

        Assert.Equal(DnsHandling.Reply, _f.Handler.Handle(TestDns.Query("a", ednsSize: 1232, ednsVersion: 2), response, false, out n));
        var badVers = TestDns.Parse(response.AsSpan(0, n));
        Assert.Equal(1u, Assert.Single(badVers.Additionals).Ttl >> 24);

        Assert.Equal(DnsHandling.Drop, _f.Handler.Handle(TestDns.Query("a", flags: 0x8000), response, false, out _));
    }

    [Fact]
    public void ServerFailureAnswersTheQuestionWithServFail()
    {
        var response = new byte[512];
        int n = DnsRequestHandler.ServerFailure(TestDns.Query("example.com", id: 77), response);
        var m = TestDns.Parse(response.AsSpan(0, n));
        Assert.Equal(DnsRcode.ServFail, m.Rcode);
        Assert.Equal(77, m.Id);
        Assert.Equal("example.com", m.Questions[0].Name);
    }

    [Fact]
    public void AnEdnsQueryGetsOptBack()
    {
        _f.Apply("myservice");
        var m = _f.Ask("myservice", ednsSize: 1232)!;
        Assert.Single(m.Addresses);
        Assert.Equal(41, Assert.Single(m.Additionals).Type);
    }
}
