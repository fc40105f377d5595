using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PodShim.Interop;
using PodShim.Runtime.Probes;

namespace PodShim.UnitTests.Probes;

/// <summary>A minimal grpc.health.v1 server on Kestrel, h2c on 127.0.0.1: the answer depends on the service name.</summary>
public sealed class GrpcHealthServer : IAsyncLifetime
{
    private WebApplication? _app;
    public int Port { get; private set; }
    public List<(string Service, string? Te, string? ContentType, string? UserAgent)> Requests { get; } = [];

    public async Task InitializeAsync()
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http2));
        _app = builder.Build();
        _app.MapPost("/grpc.health.v1.Health/Check", Check);
        await _app.StartAsync();
        string address = _app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        Port = new Uri(address).Port;
    }

    private async Task Check(HttpContext context)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body);
        byte[] frame = body.ToArray();
        int length = (int)BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(1));
        if (!GrpcHealthWire.TryDecodeRequest(frame.AsSpan(5, length), out string service))
            throw new InvalidOperationException("bad request message");
        lock (Requests)
            Requests.Add((service, context.Request.Headers.TE, context.Request.ContentType, context.Request.Headers.UserAgent));

        context.Response.ContentType = "application/grpc";
        switch (service)
        {
            case "unimplemented":         // trailers-only, as a server without the health service answers
                context.Response.Headers["grpc-status"] = "12";
                context.Response.Headers["grpc-message"] = "unknown service grpc.health.v1.Health";
                return;
            case "missing":               // what grpc-go's health server answers for an unknown service
                context.Response.AppendTrailer("grpc-status", "5");
                context.Response.AppendTrailer("grpc-message", "unknown%20service");
                return;
            case "huge":                  // a message past grpc-go's 4 MiB receive limit
                await context.Response.Body.WriteAsync(GrpcHealthWire.Frame(new byte[GrpcHealthWire.MaxMessage + 1]));
                context.Response.AppendTrailer("grpc-status", "0");
                return;
            case "slow":
                await Task.Delay(3_000, context.RequestAborted);
                break;
        }
        int status = service switch
        {
            "" or "app" or "slow" => GrpcHealthWire.Serving,
            "db" => GrpcHealthWire.NotServing,
            "weird" => 7,
            "unknown" => GrpcHealthWire.Unknown,
            _ => GrpcHealthWire.ServiceUnknown,
        };
        // An unknown field before the status, as a newer server might send.
        byte[] message = [0x12, 0x02, (byte)'h', (byte)'i', .. GrpcHealthWire.EncodeResponse(status)];
        await context.Response.Body.WriteAsync(GrpcHealthWire.Frame(message));
        context.Response.AppendTrailer("grpc-status", "0");
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
            await _app.DisposeAsync();
    }
}

public class GrpcProberTests(GrpcHealthServer server) : IClassFixture<GrpcHealthServer>
{
    /// <summary>The probers' socket factory here: a raw TCP socket on the host (the prober wraps it and closes it).</summary>
    private static int OpenSocket(AddressFamily family) => HostSocket.OpenStream(family);

    private static Socket NewSocket(AddressFamily family) => new(family, SocketType.Stream, ProtocolType.Tcp);

    private ProbeResult Probe(string? service, double timeoutSeconds = 2) =>
        new GrpcProber("127.0.0.1", server.Port, service, OpenSocket).Probe(TimeSpan.FromSeconds(timeoutSeconds));

    [Fact]
    public void Serving_IsSuccess()
    {
        Assert.Equal(new ProbeResult(ProbeOutcome.Success, "service healthy"), Probe(null));
        Assert.Equal(new ProbeResult(ProbeOutcome.Success, "service healthy"), Probe("app"));
    }

    [Fact]
    public void TheRequest_CarriesServiceAndGrpcHeaders()
    {
        Probe("app");
        (string Service, string? Te, string? ContentType, string? UserAgent) r;
        lock (server.Requests)
            r = server.Requests.Last(x => x.Service == "app");
        Assert.Equal("trailers", r.Te);
        Assert.Equal("application/grpc", r.ContentType);
        Assert.StartsWith("kube-probe/", r.UserAgent);
    }

    [Theory]
    [InlineData("db", "NOT_SERVING")]
    [InlineData("other", "SERVICE_UNKNOWN")]
    [InlineData("unknown", "UNKNOWN")]
    [InlineData("weird", "7")]
    public void NotServing_IsFailure(string service, string status)
    {
        Assert.Equal(new ProbeResult(ProbeOutcome.Failure, $"service unhealthy (responded with \"{status}\")"), Probe(service));
    }

    [Fact]
    public void Unimplemented_TrailersOnly()
    {
        Assert.Equal(new ProbeResult(ProbeOutcome.Failure,
            "error: this server does not implement the grpc health protocol (grpc.health.v1.Health): unknown service grpc.health.v1.Health"), Probe("unimplemented"));
    }

    [Fact]
    public void ErrorStatus_InTrailers()
    {
        Assert.Equal(new ProbeResult(ProbeOutcome.Failure, "error: health rpc probe failed: rpc error: code = NotFound desc = unknown service"), Probe("missing"));
    }

    [Fact]
    public void OversizedResponse_IsRejected()
    {
        Assert.Equal(new ProbeResult(ProbeOutcome.Failure,
            "error: health rpc probe failed: rpc error: code = ResourceExhausted desc = grpc: received message larger than max (4194304 bytes)"), Probe("huge", 5));
    }

    [Fact]
    public void SlowRpc_TimesOut()
    {
        var sw = Stopwatch.StartNew();
        ProbeResult r = Probe("slow", 0.3);
        Assert.Equal(new ProbeResult(ProbeOutcome.Failure, "timeout: health rpc did not complete within 300ms"), r);
        Assert.InRange(sw.Elapsed, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(2));
    }

    [Fact]
    public void ConnectionRefused_FailsAtOnce()
    {
        using var closed = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        closed.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        int port = ((IPEndPoint)closed.LocalEndPoint!).Port;
        ProbeResult r = new GrpcProber("127.0.0.1", port, null, OpenSocket).Probe(TimeSpan.FromSeconds(1));
        Assert.Equal(new ProbeResult(ProbeOutcome.Failure,
            $"error: failed to connect service at \"127.0.0.1:{port}\": dial tcp 127.0.0.1:{port}: connect: connection refused"), r);
    }

    [Fact]
    public void ConnectTimeout()
    {
        // Backlog 0, never accepted, queue filled: SYNs are dropped and the connect hangs.
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(0);
        int port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        var fillers = new List<Socket>();
        try
        {
            for (int i = 0; i < 2; i++)
            {
                var s = NewSocket(AddressFamily.InterNetwork);
                fillers.Add(s);
                s.Blocking = false;
                try { s.Connect(IPAddress.Loopback, port); } catch (SocketException) { }
            }
            Thread.Sleep(50);
            var sw = Stopwatch.StartNew();
            ProbeResult r = new GrpcProber("127.0.0.1", port, null, OpenSocket).Probe(TimeSpan.FromMilliseconds(400));
            Assert.Equal(new ProbeResult(ProbeOutcome.Failure,
                $"timeout: failed to connect service \"127.0.0.1:{port}\" within 400ms: context deadline exceeded"), r);
            Assert.InRange(sw.Elapsed, TimeSpan.FromMilliseconds(350), TimeSpan.FromSeconds(2));
        }
        finally
        {
            foreach (Socket s in fillers)
                s.Dispose();
        }
    }

    [Fact]
    public void FactoryFailure_IsError()
    {
        ProbeResult r = new GrpcProber("127.0.0.1", server.Port, null, _ => throw new InvalidOperationException("netns gone")).Probe(TimeSpan.FromSeconds(1));
        Assert.Equal(ProbeOutcome.Error, r.Outcome);
        Assert.Contains("netns gone", r.Message);
    }

    [Fact]
    public void NotAGrpcServer_Http404_IsUnimplemented()
    {
        // Kestrel answers 404 for a path it does not map: grpc-go turns that into Unimplemented.
        ProbeResult r = new GrpcProber("127.0.0.1", server.Port, null, OpenSocket).ProbePath("/other.Service/Check", TimeSpan.FromSeconds(1));
        Assert.Equal(ProbeOutcome.Failure, r.Outcome);
        Assert.StartsWith("error: this server does not implement the grpc health protocol (grpc.health.v1.Health): unexpected HTTP status code received from server: 404", r.Message);
    }
}

public class GrpcHealthWireTests
{
    [Fact]
    public void Request_Encoding()
    {
        Assert.Empty(GrpcHealthWire.EncodeRequest(""));
        Assert.Equal([0x0A, 0x03, (byte)'a', (byte)'p', (byte)'p'], GrpcHealthWire.EncodeRequest("app"));
        string longName = new('x', 200);  // a two-byte varint length
        byte[] encoded = GrpcHealthWire.EncodeRequest(longName);
        Assert.Equal([0x0A, 0xC8, 0x01], encoded[..3]);
        Assert.True(GrpcHealthWire.TryDecodeRequest(encoded, out string back));
        Assert.Equal(longName, back);
        Assert.True(GrpcHealthWire.TryDecodeRequest(GrpcHealthWire.EncodeRequest("ünï"), out back));
        Assert.Equal("ünï", back);
    }

    [Theory]
    [InlineData(new byte[] { }, 0)]
    [InlineData(new byte[] { 0x08, 0x01 }, 1)]
    [InlineData(new byte[] { 0x08, 0x02 }, 2)]
    [InlineData(new byte[] { 0x08, 0x03 }, 3)]
    [InlineData(new byte[] { 0x12, 0x01, 0x41, 0x08, 0x01, 0x1D, 1, 2, 3, 4, 0x21, 1, 2, 3, 4, 5, 6, 7, 8, 0x18, 0x96, 0x01 }, 1)] // unknown fields skipped
    [InlineData(new byte[] { 0x08, 0x01, 0x08, 0x02 }, 2)]   // the last value wins
    public void Response_Decoding(byte[] message, int status)
    {
        Assert.True(GrpcHealthWire.TryDecodeResponse(message, out int got));
        Assert.Equal(status, got);
    }

    [Theory]
    [InlineData(new byte[] { 0x08 })]                 // value missing
    [InlineData(new byte[] { 0x08, 0x80 })]           // truncated varint
    [InlineData(new byte[] { 0x12, 0x05, 0x41 })]     // length past the end
    [InlineData(new byte[] { 0x0B })]                 // group wire type
    [InlineData(new byte[] { 0x00, 0x01 })]           // field 0
    public void Response_Malformed(byte[] message)
    {
        Assert.False(GrpcHealthWire.TryDecodeResponse(message, out _));
    }

    [Fact]
    public void Response_RoundTrip()
    {
        for (int s = 0; s <= 3; s++)
        {
            Assert.True(GrpcHealthWire.TryDecodeResponse(GrpcHealthWire.EncodeResponse(s), out int got));
            Assert.Equal(s, got);
        }
    }

    [Fact]
    public void Framing()
    {
        byte[] frame = GrpcHealthWire.Frame([0x08, 0x01]);
        Assert.Equal([0, 0, 0, 0, 2, 0x08, 0x01], frame);
        Assert.True(GrpcHealthWire.TryReadFrame(frame, out ReadOnlySpan<byte> message, out _));
        Assert.Equal([0x08, 0x01], message.ToArray());
        Assert.True(GrpcHealthWire.TryReadFrame([0, 0, 0, 0, 0], out message, out _));
        Assert.True(message.IsEmpty);

        Assert.False(GrpcHealthWire.TryReadFrame([], out _, out string? error));
        Assert.Equal("grpc: the server sent no response message", error);
        Assert.False(GrpcHealthWire.TryReadFrame([0, 0, 0, 0, 9, 1], out _, out error));
        Assert.Equal("grpc: truncated message frame", error);
        Assert.False(GrpcHealthWire.TryReadFrame([1, 0, 0, 0, 0], out _, out error));
        Assert.Contains("compressed", error);
    }

    [Theory]
    [InlineData(1_000, "1s")]
    [InlineData(300, "300ms")]
    [InlineData(1_500, "1.5s")]
    [InlineData(90_000, "1m30s")]
    [InlineData(3_600_000, "1h0m0s")]
    [InlineData(10_000, "10s")]
    public void GoDuration(int ms, string expected)
    {
        Assert.Equal(expected, GrpcProber.GoDuration(TimeSpan.FromMilliseconds(ms)));
    }
}
