using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using PodShim.Runtime.ClusterDns;

namespace PodShim.UnitTests.ClusterDns;

/// <summary>The responder's sockets and threads, on host loopback sockets (the pod's are made the same way inside its netns).</summary>
public sealed class PodDnsServerTests : IDisposable
{
    private readonly ResolverFixture _f = new();
    private readonly LoopbackDnsUpstream _upstream = new(new Dictionary<string, string[]>
    {
        ["host.example"] = ["192.0.2.10"],
        ["big.example"] = Enumerable.Range(1, 60).Select(i => $"192.0.2.{i}").ToArray(),
    });
    private PodDnsServer? _server;

    public void Dispose()
    {
        _server?.Dispose();
        _upstream.Dispose();
        _f.Dispose();
    }

    private PodDnsServer Start(IReadOnlyList<IPEndPoint>? upstreams = null, double budgetSeconds = 2)
    {
        _server = PodDnsServer.Start(
            new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp),
            new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp),
            new IPEndPoint(IPAddress.Loopback, 0), _f.Handler,
            new UpstreamForwarder(upstreams ?? [_upstream.Endpoint], TimeSpan.FromSeconds(budgetSeconds)));
        return _server;
    }

    private static TestDns.Message Udp(IPEndPoint server, byte[] query)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 10_000 };
        socket.Connect(server);
        socket.Send(query);
        var buffer = new byte[65535];
        int n = socket.Receive(buffer);
        return TestDns.Parse(buffer.AsSpan(0, n));
    }

    private static List<TestDns.Message> Tcp(IPEndPoint server, params byte[][] queries)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = 10_000 };
        socket.Connect(server);
        // All queries at once (pipelined), then the answers in order.
        var all = new List<byte>();
        foreach (byte[] q in queries)
        {
            all.Add((byte)(q.Length >> 8));
            all.Add((byte)q.Length);
            all.AddRange(q);
        }
        socket.Send(all.ToArray());
        var answers = new List<TestDns.Message>();
        foreach (byte[] _ in queries)
        {
            var prefix = ReadExactly(socket, 2);
            answers.Add(TestDns.Parse(ReadExactly(socket, BinaryPrimitives.ReadUInt16BigEndian(prefix))));
        }
        return answers;
    }

    private static byte[] ReadExactly(Socket socket, int count)
    {
        var buffer = new byte[count];
        int read = 0;
        while (read < count)
        {
            int n = socket.Receive(buffer.AsSpan(read));
            if (n == 0)
                throw new IOException("connection closed");
            read += n;
        }
        return buffer;
    }

    [Fact]
    public void ClusterNamesAreAnsweredOverUdpAndTcp()
    {
        string ip = _f.Apply("myservice").ClusterIP;
        var server = Start();
        Assert.Equal([ip], Udp(server.Endpoint, TestDns.Query("myservice")).Addresses);
        var overTcp = Tcp(server.Endpoint, TestDns.Query("myservice", id: 1), TestDns.Query("myservice.default.svc.cluster.local", id: 2),
            TestDns.Query("myservice", type: DnsType.AAAA, id: 3));
        Assert.Equal([ip], overTcp[0].Addresses);
        Assert.Equal([ip], overTcp[1].Addresses);
        Assert.Equal(3, overTcp[2].Id);
        Assert.Empty(overTcp[2].Answers);
        Assert.Empty(_upstream.Seen);
        Assert.Equal(4, server.Answered);
    }

    [Fact]
    public void OtherNamesAreForwardedOverTheClientsTransport()
    {
        var server = Start();
        var m = Udp(server.Endpoint, TestDns.Query("host.example", id: 99));
        Assert.Equal(99, m.Id);
        Assert.Equal(["192.0.2.10"], m.Addresses);
        Assert.Equal(["192.0.2.10"], Tcp(server.Endpoint, TestDns.Query("host.example"))[0].Addresses);
        Assert.Equal(DnsRcode.NxDomain, Udp(server.Endpoint, TestDns.Query("nothing.example")).Rcode);
        Assert.Equal(["udp host.example 1", "tcp host.example 1", "udp nothing.example 1"], _upstream.Seen);
        Assert.Equal(3, server.Forwarded);
    }

    [Fact]
    public void UpstreamsAreLookedUpAtTheFirstForwardedQueryOnce()
    {
        int lookups = 0;
        _server = PodDnsServer.Start(
            new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp),
            new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp),
            new IPEndPoint(IPAddress.Loopback, 0), _f.Handler,
            new UpstreamForwarder(() => { Interlocked.Increment(ref lookups); return [_upstream.Endpoint]; }, TimeSpan.FromSeconds(2)));
        string ip = _f.Apply("myservice").ClusterIP;
        Assert.Equal([ip], Udp(_server.Endpoint, TestDns.Query("myservice.default.svc.cluster.local")).Addresses);
        Assert.Equal(0, lookups); // a pod's start and its cluster names never read the node's resolvers
        Assert.Equal(["192.0.2.10"], Udp(_server.Endpoint, TestDns.Query("host.example")).Addresses);
        Assert.Equal(["192.0.2.10"], Tcp(_server.Endpoint, TestDns.Query("host.example"))[0].Addresses);
        Assert.Equal(1, lookups);
    }

    [Fact]
    public void WithoutUpstreamsForwardedNamesGetServFail()
    {
        var server = Start(upstreams: [], budgetSeconds: 60);
        // With a 60 s budget and a 10 s receive timeout, an answer here can only be the immediate one.
        Assert.Equal(DnsRcode.ServFail, Udp(server.Endpoint, TestDns.Query("host.example")).Rcode);
        Assert.Equal(DnsRcode.ServFail, Tcp(server.Endpoint, TestDns.Query("host.example"))[0].Rcode);
        Assert.Equal(2, server.Failed);
    }

    [Fact]
    public void ASilentUpstreamGivesServFailWithinTheBudgetAndTheNextUpstreamIsTried()
    {
        var server = Start(budgetSeconds: 0.5);
        Assert.Equal(DnsRcode.ServFail, Udp(server.Endpoint, TestDns.Query("silent.example")).Rcode);

        // A dead first upstream (a port nobody listens on: refused) does not hide the second.
        using var unused = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        unused.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var dead = (IPEndPoint)unused.LocalEndPoint!;
        unused.Dispose();
        _server!.Dispose();
        server = Start(upstreams: [dead, _upstream.Endpoint], budgetSeconds: 2);
        Assert.Equal(["192.0.2.10"], Udp(server.Endpoint, TestDns.Query("host.example")).Addresses);
    }

    [Fact]
    public void AFloodOfForwardedQueriesIsCappedWithServFail()
    {
        // A silent upstream and a long budget: 256 queries wait upstream, the next ones fail at once.
        var server = Start(budgetSeconds: 60);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 10_000 };
        socket.Connect(server.Endpoint);
        for (int i = 0; i < 256; i++)
        {
            socket.Send(TestDns.Query("silent.example", id: (ushort)i));
            if (i % 32 == 31) // paced, so that no datagram is lost to a full receive buffer
                WaitUntil(() => server.ForwardsInFlight == i + 1);
        }
        Assert.Equal(0, server.Failed);
        var buffer = new byte[512];
        for (int i = 0; i < 10; i++)
        {
            socket.Send(TestDns.Query("silent.example", id: (ushort)(1000 + i)));
            var m = TestDns.Parse(buffer.AsSpan(0, socket.Receive(buffer)));
            Assert.Equal(1000 + i, m.Id);
            Assert.Equal(DnsRcode.ServFail, m.Rcode);
        }
        Assert.Equal(256, server.ForwardsInFlight);
    }

    private static void WaitUntil(Func<bool> condition)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(30), "timed out");
            Thread.Sleep(5);
        }
    }

    [Fact]
    public void ABigForwardedAnswerIsTruncatedOverUdpAndWholeOverTcp()
    {
        var server = Start();
        var overUdp = Udp(server.Endpoint, TestDns.Query("big.example"));
        Assert.True(overUdp.Truncated);
        Assert.Empty(overUdp.Answers);
        var overTcp = Tcp(server.Endpoint, TestDns.Query("big.example"))[0];
        Assert.False(overTcp.Truncated);
        Assert.Equal(60, overTcp.Answers.Count);
        // With EDNS and room for it, UDP carries it whole.
        var edns = Udp(server.Endpoint, TestDns.Query("big.example", ednsSize: 4096));
        Assert.Equal(60, edns.Answers.Count);
    }

    [Fact]
    public void MalformedMessagesDoNotStopTheResponder()
    {
        string ip = _f.Apply("myservice").ClusterIP;
        var server = Start();
        using (var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            socket.Connect(server.Endpoint);
            var random = new Random(5);
            for (int i = 0; i < 200; i++)
            {
                var junk = new byte[random.Next(0, 64)];
                random.NextBytes(junk);
                if (junk.Length > 2)
                    junk[2] |= 0x80; // responses and runts: dropped without a word
                socket.Send(junk);
            }
            byte[] loop = [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 1, 0, 1]; // a question that points at itself
            socket.Send(loop);
            socket.ReceiveTimeout = 10_000;
            var buffer = new byte[512];
            TestDns.Message m = TestDns.Parse(buffer.AsSpan(0, socket.Receive(buffer)));
            Assert.Equal(1, m.Id);
            Assert.Equal(DnsRcode.FormErr, m.Rcode);
        }
        using (var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            tcp.Connect(server.Endpoint);
            tcp.Send([0, 5, 1, 2]); // a length prefix promising more than is sent, then EOF
            tcp.Shutdown(SocketShutdown.Send);
        }
        Assert.Equal([ip], Udp(server.Endpoint, TestDns.Query("myservice")).Addresses);
        Assert.Equal([ip], Tcp(server.Endpoint, TestDns.Query("myservice"))[0].Addresses);
        Assert.True(server.Dropped > 0);
    }

    [Fact]
    public void DisposeClosesBothSockets()
    {
        var server = Start();
        IPEndPoint endpoint = server.Endpoint;
        server.Dispose();
        _server = null;
        using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        udp.Bind(endpoint);
        using var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        tcp.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        tcp.Bind(endpoint);
        tcp.Listen();
    }
}
