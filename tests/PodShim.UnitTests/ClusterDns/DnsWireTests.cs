using System.Text;
using PodShim.Runtime.ClusterDns;

namespace PodShim.UnitTests.ClusterDns;

public sealed class DnsWireTests
{
    private static byte[] Wire(string dotted)
    {
        var buffer = new byte[255];
        int n = DnsName.Encode(dotted, buffer);
        Assert.True(n > 0, dotted);
        return buffer[..n];
    }

    private static string? Read(byte[] message, int offset)
    {
        var name = new byte[255];
        return DnsName.TryRead(message, offset, name, out int length, out _) ? DnsName.ToText(name.AsSpan(0, length)) : null;
    }

    // ---- names ----

    [Theory]
    [InlineData("myservice.default.svc.cluster.local")]
    [InlineData("a")]
    [InlineData("x-1.y_2.z")]
    public void EncodeThenReadRoundTrips(string dotted)
    {
        byte[] wire = Wire(dotted);
        Assert.Equal(dotted.Length + 2, wire.Length);
        Assert.Equal(dotted, Read(wire, 0));
        Assert.Equal(dotted, Read(Wire(dotted + "."), 0));
    }

    [Fact]
    public void TheRootIsOneZeroByte()
    {
        Assert.Equal([0], Wire("."));
        Assert.Equal(".", Read([0], 0));
    }

    [Fact]
    public void ReadingKeepsCaseAndComparisonIgnoresIt()
    {
        byte[] upper = Wire("MyService.Default"), lower = Wire("myservice.default");
        var name = new byte[255];
        Assert.True(DnsName.TryRead(upper, 0, name, out int length, out int end));
        Assert.Equal(upper, name[..length]);
        Assert.Equal(upper.Length, end);
        Assert.True(DnsName.EqualsIgnoreCase(upper, lower));
        Assert.False(DnsName.EqualsIgnoreCase(upper, Wire("myservice.other")));
        Assert.Equal("myservice.default", DnsName.ToText(upper));
    }

    [Fact]
    public void NameLengthLimitsAreEnforced()
    {
        string label63 = new('a', 63);
        Assert.True(DnsName.Encode(label63, new byte[255]) > 0);
        Assert.Equal(-1, DnsName.Encode(new string('a', 64), new byte[255]));
        Assert.Equal(-1, DnsName.Encode("a..b", new byte[255]));
        // 4 labels of 63 = 4*64 + 1 = 257 bytes: too long; 3 labels + one of 61 = 255: the maximum.
        Assert.Equal(-1, DnsName.Encode(string.Join('.', Enumerable.Repeat(label63, 4)), new byte[300]));
        string longest = string.Join('.', Enumerable.Repeat(label63, 3)) + "." + new string('b', 61);
        byte[] wire = Wire(longest);
        Assert.Equal(255, wire.Length);
        Assert.Equal(longest, Read(wire, 0));

        // The same 257-byte name built by hand is refused when read.
        var tooLong = new List<byte>();
        for (int i = 0; i < 4; i++)
        {
            tooLong.Add(63);
            tooLong.AddRange(Encoding.ASCII.GetBytes(label63));
        }
        tooLong.Add(0);
        Assert.Null(Read(tooLong.ToArray(), 0));
    }

    [Fact]
    public void ABackwardPointerIsFollowed()
    {
        // offset 0: "example.com", offset 13: "www" + pointer to 0
        byte[] m = [.. Wire("example.com"), 3, (byte)'w', (byte)'w', (byte)'w', 0xC0, 0x00];
        var name = new byte[255];
        Assert.True(DnsName.TryRead(m, 13, name, out int length, out int end));
        Assert.Equal("www.example.com", DnsName.ToText(name.AsSpan(0, length)));
        Assert.Equal(m.Length, end); // the name ends after the pointer, not where the pointer led
    }

    [Fact]
    public void APointerChainIsFollowedThroughSeveralHops()
    {
        // 0: "c" 0 ; 3: "b" -> 0 ; 7: "a" -> 3
        byte[] m = [1, (byte)'c', 0, 1, (byte)'b', 0xC0, 0, 1, (byte)'a', 0xC0, 3];
        Assert.Equal("a.b.c", Read(m, 7));
        Assert.Equal("b.c", Read(m, 3));
    }

    [Fact]
    public void APointerIntoTheMiddleOfAnEarlierNameIsFollowed()
    {
        // 0: "x.y.z"; 8: "w" -> 2 (the "y.z" suffix)
        byte[] m = [.. Wire("x.y.z"), 1, (byte)'w', 0xC0, 2];
        Assert.Equal("w.y.z", Read(m, 7));
    }

    [Fact]
    public void APointerToItselfIsALoopAndRejected()
    {
        byte[] m = [0xC0, 0x00];
        Assert.Null(Read(m, 0));
    }

    [Fact]
    public void ATwoPointerLoopIsRejected()
    {
        // 0: "a" -> 4 ; 4: "b" -> 0  (following it would never end)
        byte[] m = [1, (byte)'a', 0xC0, 4, 1, (byte)'b', 0xC0, 0];
        Assert.Null(Read(m, 0));
        Assert.Null(Read(m, 4));
    }

    [Fact]
    public void AForwardPointerIsRejected()
    {
        byte[] m = [0xC0, 2, 0];
        Assert.Null(Read(m, 0));
    }

    [Fact]
    public void APointerPastTheEndOrCutInHalfIsRejected()
    {
        Assert.Null(Read([1, (byte)'a', 0xC0], 0));
        Assert.Null(Read([5, 0, 0xC0, 0x7F], 2));
        Assert.Null(Read([3, (byte)'a', (byte)'b'], 0));
        Assert.Null(Read([], 0));
    }

    [Theory]
    [InlineData(0x40)]
    [InlineData(0x80)]
    public void ExtendedLabelTypesAreRejected(byte type) => Assert.Null(Read([type, 0], 0));

    [Fact]
    public void PointersCannotBuildANameLongerThan255()
    {
        // Many names, each one label of 60 plus a pointer to the previous: reading the last one would pass 255.
        var m = new List<byte>();
        var starts = new List<int>();
        for (int i = 0; i < 6; i++)
        {
            starts.Add(m.Count);
            m.Add(60);
            m.AddRange(Enumerable.Repeat((byte)('a' + i), 60));
            if (i == 0)
                m.Add(0);
            else
            {
                m.Add((byte)(0xC0 | (starts[i - 1] >> 8)));
                m.Add((byte)starts[i - 1]);
            }
        }
        Assert.NotNull(Read(m.ToArray(), starts[3])); // 4 labels of 60: 245 bytes
        Assert.Null(Read(m.ToArray(), starts[4]));    // 5 labels: 306 bytes
    }

    // ---- queries ----

    private static (DnsParseStatus Status, string Name, ushort Type, bool Edns, ushort Size, bool Do) ParseQuery(byte[] m)
    {
        var buffer = new byte[255];
        DnsParseStatus status = DnsQuery.Parse(m, buffer, out DnsQuery q);
        return (status, status == DnsParseStatus.Ok ? DnsName.ToText(q.Name) : "", q.Type, q.HasEdns, q.EdnsUdpSize, q.DnssecOk);
    }

    [Fact]
    public void AStandardQueryIsParsed()
    {
        var q = ParseQuery(TestDns.Query("MyService.default.svc.cluster.local", type: 28));
        Assert.Equal(DnsParseStatus.Ok, q.Status);
        Assert.Equal("myservice.default.svc.cluster.local", q.Name);
        Assert.Equal(28, q.Type);
        Assert.False(q.Edns);
    }

    [Fact]
    public void Edns0OptIsReadAndItsSizeLimitsUdpAnswers()
    {
        byte[] m = TestDns.Query("a.b", ednsSize: 1232);
        m[^4] = 0x80; // DO bit (high bit of the OPT TTL's flags)
        var q = ParseQuery(m);
        Assert.Equal(DnsParseStatus.Ok, q.Status);
        Assert.True(q.Edns);
        Assert.Equal(1232, q.Size);
        Assert.True(q.Do);

        var buffer = new byte[255];
        DnsQuery.Parse(TestDns.Query("a", ednsSize: 100), buffer, out DnsQuery small);
        Assert.Equal(512, small.UdpPayloadLimit);
        DnsQuery.Parse(TestDns.Query("a", ednsSize: 65000), buffer, out DnsQuery big);
        Assert.Equal(4096, big.UdpPayloadLimit);
        DnsQuery.Parse(TestDns.Query("a"), buffer, out DnsQuery none);
        Assert.Equal(512, none.UdpPayloadLimit);
    }

    [Fact]
    public void AnEdnsVersionAbove0IsBadVers() =>
        Assert.Equal(DnsParseStatus.BadVers, ParseQuery(TestDns.Query("a", ednsSize: 1232, ednsVersion: 1)).Status);

    [Fact]
    public void TwoOptRecordsOrAnOptNotOwnedByTheRootAreFormErr()
    {
        byte[] one = TestDns.Query("a", ednsSize: 512);
        byte[] opt = one[^11..];
        byte[] two = [.. one, .. opt];
        two[11] = 2;
        Assert.Equal(DnsParseStatus.FormErr, ParseQuery(two).Status);

        byte[] named = [.. one[..^11], 1, (byte)'x', 0, .. opt[1..]];
        Assert.Equal(DnsParseStatus.FormErr, ParseQuery(named).Status);
    }

    [Fact]
    public void OtherAdditionalRecordsAreTolerated()
    {
        byte[] q = TestDns.Query("a", ednsSize: 1232);
        // An extra additional record (a TXT owned by "x") after the OPT.
        byte[] extra = [1, (byte)'x', 0, 0, 16, 0, 1, 0, 0, 0, 0, 0, 3, 2, (byte)'h', (byte)'i'];
        byte[] m = [.. q, .. extra];
        m[11] = 2;
        Assert.Equal(DnsParseStatus.Ok, ParseQuery(m).Status);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void AQuestionCountOtherThan1IsFormErr(int count)
    {
        byte[] m = TestDns.Query("a");
        m[5] = (byte)count;
        Assert.Equal(DnsParseStatus.FormErr, ParseQuery(m).Status);
    }

    [Fact]
    public void ResponsesAndRuntsAreDroppedOtherOpcodesAreNotImp()
    {
        Assert.Equal(DnsParseStatus.Drop, ParseQuery(TestDns.Query("a", flags: 0x8100)).Status);
        Assert.Equal(DnsParseStatus.Drop, ParseQuery(new byte[11]).Status);
        Assert.Equal(DnsParseStatus.NotImp, ParseQuery(TestDns.Query("a", flags: 0x2800)).Status); // UPDATE
    }

    [Fact]
    public void ACutQuestionOrRecordIsFormErr()
    {
        byte[] m = TestDns.Query("abc.def");
        Assert.Equal(DnsParseStatus.FormErr, ParseQuery(m[..^3]).Status);
        byte[] withOpt = TestDns.Query("abc", ednsSize: 512);
        Assert.Equal(DnsParseStatus.FormErr, ParseQuery(withOpt[..^2]).Status);
        // An rdlength that runs past the end.
        withOpt[^1] = 9;
        Assert.Equal(DnsParseStatus.FormErr, ParseQuery(withOpt).Status);
    }

    // ---- responses ----

    private static DnsQuery QueryFor(byte[] message, byte[] nameBuffer)
    {
        Assert.Equal(DnsParseStatus.Ok, DnsQuery.Parse(message, nameBuffer, out DnsQuery q));
        return q;
    }

    [Fact]
    public void AResponseRoundTripsThroughAnIndependentReader()
    {
        byte[] queryBytes = TestDns.Query("Web.Shop.svc.cluster.local", id: 0xBEEF);
        var nameBuffer = new byte[255];
        DnsQuery q = QueryFor(queryBytes, nameBuffer);
        var buffer = new byte[512];
        var b = new DnsResponseBuilder(buffer, 512, stackalloc ushort[32]);
        b.Begin(q, 0, authoritative: true);
        b.AddA(q.Name, 5, [10, 96, 1, 2]);
        b.AddCname(q.Name, 30, Wire("db.example.com"));
        b.AddPtr(Wire("2.1.96.10.in-addr.arpa"), 5, Wire("web.shop.svc.cluster.local"));
        b.AddSoa(Wire("cluster.local"), 5, Wire("ns.dns.cluster.local"), Wire("hostmaster.cluster.local"), 42, 7200, 1800, 86400, 5);
        int length = b.Finish();
        Assert.False(b.Truncated);

        var m = TestDns.Parse(buffer.AsSpan(0, length));
        Assert.Equal(0xBEEF, m.Id);
        Assert.True(m.IsResponse);
        Assert.True(m.Authoritative);
        Assert.Equal(0x0100, m.Flags & 0x0100); // RD echoed
        Assert.Equal(0x0080, m.Flags & 0x0080); // RA
        Assert.Equal(("Web.Shop.svc.cluster.local", (ushort)1, (ushort)1), Assert.Single(m.Questions));
        Assert.Equal(3, m.Answers.Count);
        Assert.Equal(["10.96.1.2"], m.Addresses);
        Assert.Equal("Web.Shop.svc.cluster.local", m.Answers[0].Name);
        Assert.Equal(5u, m.Answers[0].Ttl);
        Assert.Equal("db.example.com", m.Answers[1].DataName);
        Assert.Equal("2.1.96.10.in-addr.arpa", m.Answers[2].Name);
        Assert.Equal("web.shop.svc.cluster.local", m.Answers[2].DataName, ignoreCase: true); // compressed into the question, whose case it takes
        var soa = Assert.Single(m.Authorities);
        Assert.Equal("cluster.local", soa.Name);
        Assert.Equal("ns.dns.cluster.local hostmaster.cluster.local", soa.DataName);
        Assert.Empty(m.Additionals);
    }

    [Fact]
    public void RepeatedNamesAreCompressed()
    {
        byte[] queryBytes = TestDns.Query("myservice.default.svc.cluster.local");
        var nameBuffer = new byte[255];
        DnsQuery q = QueryFor(queryBytes, nameBuffer);
        var buffer = new byte[512];
        var b = new DnsResponseBuilder(buffer, 512, stackalloc ushort[32]);
        b.Begin(q, 0, authoritative: true);
        b.AddA(q.Name, 5, [10, 96, 0, 20]);
        b.AddSoa(Wire("cluster.local"), 5, Wire("ns.dns.cluster.local"), Wire("hostmaster.cluster.local"), 1, 2, 3, 4, 5);
        int length = b.Finish();
        // Header 12 + question (37 + 4); the answer's owner is one pointer: 2 + 10 + 4.
        int questionEnd = 12 + 37 + 4;
        Assert.Equal(0xC0, buffer[questionEnd]);
        Assert.Equal(12, buffer[questionEnd + 1]);
        // The SOA owner "cluster.local" points into the question; so do the tails of mname and rname.
        int soaAt = questionEnd + 16;
        Assert.Equal(0xC0, buffer[soaAt]);
        int uncompressed = 12 + 41 + (37 + 14) + (15 + 10 + 22 + 26 + 20);
        Assert.True(length < uncompressed - 40, $"{length} bytes: not compressed enough");
        var m = TestDns.Parse(buffer.AsSpan(0, length));
        Assert.Equal("myservice.default.svc.cluster.local", m.Answers[0].Name);
        Assert.Equal("cluster.local", m.Authorities[0].Name);
        Assert.Equal("ns.dns.cluster.local hostmaster.cluster.local", m.Authorities[0].DataName);
    }

    [Fact]
    public void CompressionMatchesIgnoringCase()
    {
        var nameBuffer = new byte[255];
        DnsQuery q = QueryFor(TestDns.Query("A.Example.COM"), nameBuffer);
        var buffer = new byte[512];
        var b = new DnsResponseBuilder(buffer, 512, stackalloc ushort[32]);
        b.Begin(q, 0, authoritative: false);
        b.AddCname(q.Name, 5, Wire("b.example.com"));
        int length = b.Finish();
        var m = TestDns.Parse(buffer.AsSpan(0, length));
        // "b" + pointer to "Example.COM" in the question.
        Assert.Equal("b.Example.COM", m.Answers[0].DataName);
        Assert.Equal(4, m.Answers[0].Data.Length);
    }

    [Fact]
    public void OverUdpAnAnswerPast512BytesIsTruncatedWithTcAndComesWholeOverTcp()
    {
        byte[] queryBytes = TestDns.Query("many.example");

        static int Build(byte[] queryBytes, byte[] into, int limit, out bool truncated)
        {
            var nameBuffer = new byte[255];
            DnsQuery.Parse(queryBytes, nameBuffer, out DnsQuery q);
            var b = new DnsResponseBuilder(into, limit, stackalloc ushort[32]);
            b.Begin(q, 0, authoritative: true);
            for (int i = 0; i < 40; i++)
                b.AddA(q.Name, 5, [10, 96, 0, (byte)i]); // 16 bytes each: 640 bytes of answers
            int n = b.Finish();
            truncated = b.Truncated;
            return n;
        }

        var udp = new byte[4096];
        int udpLength = Build(queryBytes, udp, 512, out bool udpTruncated);
        Assert.True(udpTruncated);
        Assert.True(udpLength <= 512);
        var m = TestDns.Parse(udp.AsSpan(0, udpLength));
        Assert.True(m.Truncated);
        Assert.Empty(m.Answers);
        Assert.Single(m.Questions);

        var tcp = new byte[65535];
        int tcpLength = Build(queryBytes, tcp, 65535, out bool tcpTruncated);
        Assert.False(tcpTruncated);
        var whole = TestDns.Parse(tcp.AsSpan(0, tcpLength));
        Assert.False(whole.Truncated);
        Assert.Equal(40, whole.Answers.Count);
        Assert.True(tcpLength > 512);
    }

    [Fact]
    public void AResponseToAnEdnsQueryCarriesOptAndBadVersUsesTheExtendedRcode()
    {
        var nameBuffer = new byte[255];
        DnsQuery q = QueryFor(TestDns.Query("a", ednsSize: 1232), nameBuffer);
        var buffer = new byte[512];
        var b = new DnsResponseBuilder(buffer, 512, stackalloc ushort[32]);
        b.Begin(q, DnsRcode.BadVers, authoritative: false);
        var m = TestDns.Parse(buffer.AsSpan(0, b.Finish()));
        var opt = Assert.Single(m.Additionals);
        Assert.Equal(41, opt.Type);
        Assert.Equal(".", opt.Name);
        Assert.Equal(0, m.Rcode);            // 16 = 1 << 4: the low bits are 0
        Assert.Equal(1u, opt.Ttl >> 24);     // the extended rcode's high bits
    }

    [Fact]
    public void TruncateForUdpCutsAForwardedReplyToItsQuestion()
    {
        var nameBuffer = new byte[255];
        DnsQuery q = QueryFor(TestDns.Query("big.example"), nameBuffer);
        var reply = new byte[2048];
        var b = new DnsResponseBuilder(reply, 2048, stackalloc ushort[32]);
        b.Begin(q, 0, false);
        for (int i = 0; i < 60; i++)
            b.AddA(q.Name, 60, [192, 0, 2, (byte)i]);
        int length = b.Finish();
        Assert.True(length > 512);
        Assert.Equal(length, DnsRequestHandler.TruncateForUdp(reply, length, 4096)); // fits: untouched
        int cut = DnsRequestHandler.TruncateForUdp(reply, length, 512);
        var m = TestDns.Parse(reply.AsSpan(0, cut));
        Assert.True(m.Truncated);
        Assert.Empty(m.Answers);
        Assert.Equal("big.example", m.Questions[0].Name);
    }
}
