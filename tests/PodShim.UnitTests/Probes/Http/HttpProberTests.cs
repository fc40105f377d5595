using System.Net;
using System.Net.Sockets;
using System.Text;
using PodShim.Interop;
using PodShim.Runtime.Probes;
using PodShim.Runtime.Probes.Http;

namespace PodShim.UnitTests.Probes.Http;

public class HttpProberTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    /// <summary>The probers' socket factory here: a raw TCP socket on the host (the prober owns and closes it).</summary>
    internal static int OpenSocket(AddressFamily family) => HostSocket.OpenStream(family);

    private static HttpProber Prober(int port, string path = "/", string scheme = "HTTP", params (string, string)[] headers) =>
        new(new HttpProbeSpec(scheme, "127.0.0.1", port, path, headers.Select(h => KeyValuePair.Create(h.Item1, h.Item2)).ToList()), OpenSocket);

    private static ProbeResult ProbeOnce(string response, string path = "/")
    {
        using var server = LoopbackHttpServer.Canned(response, maxConnections: 1);
        using var prober = Prober(server.Port, path);
        return prober.Probe(Timeout);
    }

    [Fact]
    public void OkWithContentLengthSucceeds()
    {
        ProbeResult r = ProbeOnce("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        Assert.Equal(new ProbeResult(ProbeOutcome.Success), r);
    }

    [Theory]
    [InlineData(200, ProbeOutcome.Success, false)]
    [InlineData(201, ProbeOutcome.Success, false)]
    [InlineData(299, ProbeOutcome.Success, false)]
    [InlineData(300, ProbeOutcome.Success, true)]
    [InlineData(302, ProbeOutcome.Success, true)] // no Location: not followed, a final 3xx
    [InlineData(399, ProbeOutcome.Success, true)]
    [InlineData(100, ProbeOutcome.Failure, false)] // 1xx is skipped, then EOF
    [InlineData(101, ProbeOutcome.Failure, false)]
    [InlineData(199, ProbeOutcome.Failure, false)]
    [InlineData(400, ProbeOutcome.Failure, false)]
    [InlineData(404, ProbeOutcome.Failure, false)]
    [InlineData(500, ProbeOutcome.Failure, false)]
    [InlineData(503, ProbeOutcome.Failure, false)]
    public void StatusClasses(int status, ProbeOutcome outcome, bool warning)
    {
        ProbeResult r = ProbeOnce($"HTTP/1.1 {status} Whatever\r\nContent-Length: 4\r\n\r\nbody");
        Assert.Equal(outcome, r.Outcome);
        Assert.Equal(warning, r.Warning);
        if (status >= 400) Assert.Equal($"HTTP probe failed with statuscode: {status}", r.Message);
        if (warning) Assert.Equal("Probe terminated redirects, Response body: body", r.Message);
    }

    [Fact]
    public void InformationalResponsesAreSkipped()
    {
        ProbeResult r = ProbeOnce("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: x\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        Assert.Equal(ProbeOutcome.Success, r.Outcome);
    }

    [Fact]
    public void ChunkedFailureReportsTheStatus()
    {
        ProbeResult r = ProbeOnce("HTTP/1.1 500 Internal Server Error\r\nTransfer-Encoding: chunked\r\n\r\n4\r\noops\r\n0\r\n\r\n");
        Assert.Equal(new ProbeResult(ProbeOutcome.Failure, "HTTP probe failed with statuscode: 500"), r);
    }

    [Theory]
    [InlineData("HTTP/1.1 204 No Content\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\n\r\nbody until the connection ends")]
    [InlineData("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\nContent-Length: 3\n\nabc")]
    public void BodiesOfEveryShape(string response)
    {
        Assert.Equal(ProbeOutcome.Success, ProbeOnce(response).Outcome);
    }

    [Fact]
    public void FinalNotModifiedIsAWarningWithAnEmptyBody()
    {
        ProbeResult r = ProbeOnce("HTTP/1.1 304 Not Modified\r\n\r\n");
        Assert.Equal(new ProbeResult(ProbeOutcome.Success, "Probe terminated redirects, Response body: ", Warning: true), r);
    }

    [Fact]
    public void ResponseSplitAtEveryByteBoundary()
    {
        const string chunked = "HTTP/1.1 301 Moved\r\nTransfer-Encoding: chunked\r\nX-A: b\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
        const string sized = "HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nabc";
        foreach (string text in new[] { chunked, sized })
        {
            byte[] all = Encoding.ASCII.GetBytes(text);
            using var server = new LoopbackHttpServer((i, _) => [all[..(i + 1)], all[(i + 1)..]], maxConnections: all.Length - 1, segmentPauseMs: 2);
            using var prober = Prober(server.Port);
            for (int split = 1; split < all.Length; split++)
            {
                ProbeResult r = prober.Probe(Timeout);
                if (text == chunked)
                    Assert.Equal(new ProbeResult(ProbeOutcome.Success, "Probe terminated redirects, Response body: abc", Warning: true), r);
                else
                    Assert.Equal(new ProbeResult(ProbeOutcome.Failure, "HTTP probe failed with statuscode: 404"), r);
            }
        }
    }

    [Fact]
    public void OversizedHeadersFail()
    {
        string big = "HTTP/1.1 200 OK\r\n" + string.Concat(Enumerable.Range(0, 700).Select(i => $"X-Filler-{i}: {new string('x', 100)}\r\n")) + "\r\n";
        ProbeResult r = ProbeOnce(big);
        Assert.Equal(ProbeOutcome.Failure, r.Outcome);
        Assert.EndsWith("net/http: server response headers exceeded 65536 bytes; aborted", r.Message);
    }

    [Fact]
    public void LargeHeadersUnderTheLimitAreFine()
    {
        string big = "HTTP/1.1 200 OK\r\n" + string.Concat(Enumerable.Range(0, 300).Select(i => $"X-Filler-{i}: {new string('x', 100)}\r\n")) + "Content-Length: 0\r\n\r\n";
        Assert.Equal(ProbeOutcome.Success, ProbeOnce(big).Outcome);
    }

    [Theory]
    [InlineData("garbage\r\n\r\n", "malformed HTTP response \"garbage\"")]
    [InlineData("HTTP/1.1 2x0 OK\r\n", "malformed HTTP status code \"2x0\"")]
    [InlineData("SIP/2.0 200 OK\r\n\r\n", "malformed HTTP version \"SIP/2.0\"")]
    [InlineData("HTTP/1.1 200 OK\r\nBroken header\r\n\r\n", "malformed MIME header line: Broken header")]
    [InlineData("", "EOF")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Len", "unexpected EOF")]
    public void BadResponsesFailWithGoWording(string response, string reason)
    {
        using var server = LoopbackHttpServer.Canned(response, maxConnections: 1);
        using var prober = Prober(server.Port, "/healthz");
        ProbeResult r = prober.Probe(Timeout);
        Assert.Equal(ProbeOutcome.Failure, r.Outcome);
        Assert.StartsWith($"Get \"http://127.0.0.1:{server.Port}/healthz\": ", r.Message);
        Assert.EndsWith(reason, r.Message);
    }

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", "unexpected EOF")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", "unexpected EOF")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "invalid byte in chunk length")]
    public void UnreadableBodiesAreProbeErrors(string response, string message)
    {
        Assert.Equal(new ProbeResult(ProbeOutcome.Error, message), ProbeOnce(response));
    }

    [Fact]
    public void BodyIsReadUpTo10KiB()
    {
        string body = new string('a', 20_000);
        ProbeResult r = ProbeOnce($"HTTP/1.1 399 Odd\r\nContent-Length: {body.Length}\r\n\r\n{body}");
        Assert.True(r.Warning);
        Assert.Equal("Probe terminated redirects, Response body: " + new string('a', 10 * 1024), r.Message);
    }

    [Fact]
    public void TimeoutFailsWithTheKubeletMessage()
    {
        using var server = new LoopbackHttpServer((_, _) => null, maxConnections: 1);
        using var prober = Prober(server.Port, "/slow");
        var watch = System.Diagnostics.Stopwatch.StartNew();
        ProbeResult r = prober.Probe(TimeSpan.FromMilliseconds(200));
        watch.Stop();
        Assert.Equal(new ProbeResult(ProbeOutcome.Failure,
            $"Get \"http://127.0.0.1:{server.Port}/slow\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)"), r);
        Assert.InRange(watch.ElapsedMilliseconds, 150, 2_000);
    }

    [Fact]
    public void TimeoutWhileReadingTheBodyIsAProbeError()
    {
        using var server = new LoopbackHttpServer((_, _) => [Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"), Encoding.ASCII.GetBytes("defghij")],
            maxConnections: 1, segmentPauseMs: 1_000);
        using var prober = Prober(server.Port);
        Assert.Equal(new ProbeResult(ProbeOutcome.Error, "context deadline exceeded (Client.Timeout or context cancellation while reading body)"),
            prober.Probe(TimeSpan.FromMilliseconds(200)));
    }

    [Fact]
    public void ConnectionRefusedFailsWithTheDialError()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        using var prober = Prober(port, "/healthz");
        ProbeResult r = prober.Probe(Timeout);
        Assert.Equal(new ProbeResult(ProbeOutcome.Failure,
            $"Get \"http://127.0.0.1:{port}/healthz\": dial tcp 127.0.0.1:{port}: connect: connection refused"), r);
        Assert.Same(r.Message, prober.Probe(Timeout).Message); // cached: a probe failing the same way allocates no new message
    }

    // ---- redirects ----

    private static byte[][] Text(string s) => [Encoding.ASCII.GetBytes(s)];

    [Fact]
    public void SameHostRelativeRedirectIsFollowedKeepingTheHostHeader()
    {
        using var server = new LoopbackHttpServer((i, _) => i == 0
            ? Text("HTTP/1.1 302 Found\r\nLocation: next?x=1\r\nContent-Length: 0\r\n\r\n")
            : Text("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"), maxConnections: 2);
        using var prober = Prober(server.Port, "/dir/start", headers: ("Host", "example.com"));
        Assert.Equal(new ProbeResult(ProbeOutcome.Success), prober.Probe(Timeout));
        Assert.StartsWith("GET /dir/start HTTP/1.1\r\nHost: example.com\r\n", server.Requests[0]);
        Assert.StartsWith("GET /dir/next?x=1 HTTP/1.1\r\nHost: example.com\r\n", server.Requests[1]);
    }

    [Fact]
    public void SameHostAbsoluteRedirectToAnotherPortIsFollowed()
    {
        using var target = LoopbackHttpServer.Canned("HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n", maxConnections: 1);
        using var server = LoopbackHttpServer.Canned($"HTTP/1.1 301 Moved\r\nLocation: http://127.0.0.1:{target.Port}/there\r\n\r\n", maxConnections: 1);
        using var prober = Prober(server.Port);
        Assert.Equal(new ProbeResult(ProbeOutcome.Failure, "HTTP probe failed with statuscode: 500"), prober.Probe(Timeout));
        Assert.StartsWith($"GET /there HTTP/1.1\r\nHost: 127.0.0.1:{target.Port}\r\n", target.Requests.Single());
    }

    [Fact]
    public void OffHostRedirectIsASuccessWithAWarning()
    {
        using var server = LoopbackHttpServer.Canned("HTTP/1.1 302 Found\r\nLocation: http://example.com/x\r\nContent-Length: 5\r\n\r\nmoved", maxConnections: 2);
        using var prober = Prober(server.Port);
        Assert.Equal(new ProbeResult(ProbeOutcome.Success, "Probe terminated redirects, Response body: moved", Warning: true), prober.Probe(Timeout));
        Assert.Single(server.Requests);
    }

    [Theory]
    [InlineData("ftp://example.com/x", ProbeOutcome.Success)]      // another host: kept, whatever the scheme
    [InlineData("ftp://127.0.0.1/x", ProbeOutcome.Failure)]        // same host: Go cannot follow it
    [InlineData("http://127.0.0.1:99999/x", ProbeOutcome.Failure)] // unparsable
    public void RedirectsGoCannotFollow(string location, ProbeOutcome outcome)
    {
        ProbeResult r = ProbeOnce($"HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n");
        Assert.Equal(outcome, r.Outcome);
        Assert.Equal(outcome == ProbeOutcome.Success, r.Warning);
    }

    [Fact]
    public void RedirectLoopStopsAfter10Requests()
    {
        using var server = LoopbackHttpServer.Canned("HTTP/1.1 307 Again\r\nLocation: /loop\r\nContent-Length: 0\r\n\r\n", maxConnections: 20);
        using var prober = Prober(server.Port, "/loop");
        Assert.Equal(new ProbeResult(ProbeOutcome.Failure, "Get \"/loop\": stopped after 10 redirects"), prober.Probe(Timeout));
        Assert.Equal(10, server.Requests.Count);
    }

    [Fact]
    public void NineRedirectsAreFollowed()
    {
        using var server = new LoopbackHttpServer((i, _) => i < 9
            ? Text($"HTTP/1.1 302 Found\r\nLocation: /r{i + 1}\r\n\r\n")
            : Text("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"), maxConnections: 10);
        using var prober = Prober(server.Port, "/r0");
        Assert.Equal(ProbeOutcome.Success, prober.Probe(Timeout).Outcome);
        Assert.Equal(10, server.Requests.Count);
    }

    // ---- request headers ----

    [Fact]
    public void DefaultHeaders()
    {
        using var server = LoopbackHttpServer.Canned("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", maxConnections: 1);
        using var prober = Prober(server.Port, "healthz");
        prober.Probe(Timeout);
        Assert.Equal($"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{server.Port}\r\nUser-Agent: kube-probe/1.33\r\nConnection: close\r\nAccept: */*\r\n\r\n",
            server.Requests.Single());
    }

    [Fact]
    public void CustomHeadersOverrideHostUserAgentAndAccept()
    {
        using var server = LoopbackHttpServer.Canned("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", maxConnections: 1);
        using var prober = Prober(server.Port, "/p a", "http",
            ("x-custom-header", "v1"), ("host", "svc.local"), ("user-agent", "mine/1"), ("Accept", "text/plain"), ("X-Custom-Header", "v2"), ("A-First", " trimmed "));
        Assert.Equal(ProbeOutcome.Success, prober.Probe(Timeout).Outcome);
        Assert.Equal("GET /p%20a HTTP/1.1\r\nHost: svc.local\r\nUser-Agent: mine/1\r\nConnection: close\r\n"
            + "A-First: trimmed\r\nAccept: text/plain\r\nX-Custom-Header: v1\r\nX-Custom-Header: v2\r\n\r\n", server.Requests.Single());
    }

    [Fact]
    public void EmptyAcceptAndUserAgentAreNotSent()
    {
        var spec = new HttpProbeSpec("HTTP", "127.0.0.1", 80, "/", [KeyValuePair.Create("Accept", ""), KeyValuePair.Create("User-Agent", "")], "v1.31.2");
        using var prober = new HttpProber(spec, OpenSocket);
        Assert.Equal("GET / HTTP/1.1\r\nHost: 127.0.0.1:80\r\nConnection: close\r\n\r\n", Encoding.ASCII.GetString(prober.RequestBytes));
    }

    [Fact]
    public void UserAgentCarriesMajorMinor()
    {
        var spec = new HttpProbeSpec("HTTP", "127.0.0.1", 80, "/", [], "v1.31.2");
        using var prober = new HttpProber(spec, OpenSocket);
        Assert.Contains("User-Agent: kube-probe/1.31\r\n", Encoding.ASCII.GetString(prober.RequestBytes));
    }

    [Fact]
    public void InvalidHeaderValueFails()
    {
        var spec = new HttpProbeSpec("HTTP", "127.0.0.1", 80, "/", [KeyValuePair.Create("X-Bad", "a\r\nb")]);
        using var prober = new HttpProber(spec, OpenSocket);
        Assert.Equal(new ProbeResult(ProbeOutcome.Failure, "Get \"http://127.0.0.1:80/\": net/http: invalid header field value for \"X-Bad\""), prober.Probe(Timeout));
    }

    // ---- allocation ----

    [Fact]
    public void SteadyStateProbesAllocateNothing()
    {
        const int Warm = 200, N = 2_000;
        using var server = new LoopbackHttpServer((_, _) => [Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")],
            maxConnections: Warm + N, lifetimeMs: 300_000);
        using var prober = Prober(server.Port);
        for (int i = 0; i < Warm; i++) Assert.Equal(ProbeOutcome.Success, prober.Probe(Timeout).Outcome);

        long before = GC.GetAllocatedBytesForCurrentThread();
        int ok = 0;
        for (int i = 0; i < N; i++)
            if (prober.Probe(Timeout).Outcome == ProbeOutcome.Success) ok++;
        long bytes = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(N, ok);
        // Nothing at all, the socket included: the factory returns a raw descriptor that the prober closes itself.
        Assert.True(bytes == 0, $"{N} probes allocated {bytes} bytes in total");
    }
}
