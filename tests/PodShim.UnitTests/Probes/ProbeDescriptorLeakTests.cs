using System.Net;
using System.Net.Sockets;
using System.Text;
using PodShim.Interop;
using PodShim.Runtime.Probes;
using PodShim.Runtime.Probes.Http;
using PodShim.UnitTests.Probes.Http;
using Xunit.Abstractions;

namespace PodShim.UnitTests.Probes;

/// <summary>Counting /proc/self/fd only means something while no other test in the process opens or closes
/// descriptors: these tests run on their own, after the parallel ones.</summary>
[CollectionDefinition(nameof(DescriptorCountCollection), DisableParallelization = true)]
public sealed class DescriptorCountCollection;

/// <summary>The probers own the raw descriptor their factory returns and must close it on every path: N probes on
/// each path leave as many sockets in /proc/self/fd as before, and every descriptor the factory handed out is closed
/// (checked by its identity, socket:[inode], so a number reused since cannot pass for it).</summary>
[Collection(nameof(DescriptorCountCollection))]
public class ProbeDescriptorLeakTests(ITestOutputHelper output)
{
    private const int N = 100;
    private const int SlowN = 20;   // timeouts: each costs its timeout
    private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(5);

    /// <summary>A host socket factory that remembers each descriptor it returned and what it was.</summary>
    private sealed class RecordingFactory
    {
        public List<(int Fd, string Identity)> Opened { get; } = [];

        public int Open(AddressFamily family)
        {
            int fd = HostSocket.OpenStream(family);
            Opened.Add((fd, Identity(fd) ?? throw new InvalidOperationException($"fd {fd} is not in /proc/self/fd")));
            return fd;
        }

        public void AssertEachClosed(int expected)
        {
            Assert.Equal(expected, Opened.Count);
            foreach ((int fd, string identity) in Opened)
                Assert.True(Identity(fd) != identity, $"fd {fd} ({identity}) is still open");
        }
    }

    /// <summary>What /proc/self/fd/N points at ("socket:[123456]"), or null when N is not open.</summary>
    private static string? Identity(int fd)
    {
        try
        {
            return new FileInfo($"/proc/self/fd/{fd}").LinkTarget;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>The socket entries of /proc/self/fd. Only sockets: the runtime opens other descriptors at any moment
    /// (an assembly loaded by a background thread keeps its file open), and a probe opens nothing but its socket.</summary>
    private static int CountSockets() =>
        Directory.GetFileSystemEntries("/proc/self/fd").Count(entry => Identity(int.Parse(Path.GetFileName(entry)))?.StartsWith("socket:", StringComparison.Ordinal) == true);

    /// <summary>No descriptor left to a finalizer from earlier tests closes during a count.</summary>
    private static void Settle()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    /// <summary>Runs the probes and checks the process has no more sockets than before. Sockets of earlier tests may
    /// still be closing (a server thread waiting for its peer, a fixture shutting down), so the count before is taken
    /// once it is steady, and the count after is given a few seconds to come back; a leak is one socket per probe.</summary>
    private void AssertNoSocketLeft(string path, Action probes)
    {
        int before = SteadySocketCount();
        probes();
        int after = CountSockets();
        for (int i = 0; i < 250 && after > before; i++)
        {
            Thread.Sleep(20);
            Settle();
            after = CountSockets();
        }
        output.WriteLine($"{path}: {before} sockets open before, {after} after");
        Assert.True(after <= before, $"{path}: {before} sockets open before the probes, {after} after");
    }

    private static int SteadySocketCount()
    {
        Settle();
        int count = CountSockets();
        for (int same = 0, i = 0; same < 5 && i < 100; i++)
        {
            Thread.Sleep(20);
            int now = CountSockets();
            same = now == count ? same + 1 : 0;
            count = now;
        }
        return count;
    }

    private static Socket Listen(int backlog)
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(backlog);
        return listener;
    }

    /// <summary>A port nothing listens on: bound (so nobody else takes it) but not listening.</summary>
    private static Socket ClosedPort()
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return s;
    }

    private static int Port(Socket s) => ((IPEndPoint)s.LocalEndPoint!).Port;

    /// <summary>A listener whose accept queue (backlog 0) is held full by live connections that are never accepted:
    /// Linux drops further SYNs, so a connect hangs until the probe's timeout.</summary>
    private sealed class Blackhole : IDisposable
    {
        private readonly Socket _listener = Listen(backlog: 0);
        private readonly List<Socket> _fillers = [];

        public Blackhole()
        {
            for (int i = 0; i < 2; i++)
            {
                var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                _fillers.Add(filler);
                filler.Blocking = false;
                try { filler.Connect(IPAddress.Loopback, Port); } catch (SocketException) { }
            }
            Thread.Sleep(50);
        }

        public int Port => ((IPEndPoint)_listener.LocalEndPoint!).Port;

        public void Dispose()
        {
            foreach (Socket s in _fillers) s.Dispose();
            _listener.Dispose();
        }
    }

    /// <summary>One probe with the expected result, then <paramref name="n"/> more that leave no descriptor behind,
    /// and every socket the factory made closed by the prober.</summary>
    private void AssertProbesLeaveNothing(string path, Func<ProbeResult> probe, ProbeResult expected, int n, RecordingFactory factory)
    {
        Assert.Equal(expected, probe());
        AssertNoSocketLeft(path, () => ProbeTimes(n, probe, expected));
        factory.AssertEachClosed(n + 1);
    }

    private static void ProbeTimes(int n, Func<ProbeResult> probe, ProbeResult expected)
    {
        for (int i = 0; i < n; i++)
            Assert.Equal(expected, probe());
    }

    // ---- TCP ----

    [Fact]
    public void Tcp_Success_LeavesNoDescriptor()
    {
        using Socket listener = Listen(backlog: 512);   // never accepted: the handshake completes in the kernel
        var factory = new RecordingFactory();
        var prober = new TcpProber("127.0.0.1", Port(listener), factory.Open);
        Assert.Equal(ProbeOutcome.Success, prober.Probe(Long).Outcome);
        AssertNoSocketLeft("tcp success", () => ProbeTimes(N, () => prober.Probe(Long), new ProbeResult(ProbeOutcome.Success)));
        factory.AssertEachClosed(N + 1);
    }

    [Fact]
    public void Tcp_Refused_LeavesNoDescriptor()
    {
        using Socket closed = ClosedPort();
        var factory = new RecordingFactory();
        var prober = new TcpProber("127.0.0.1", Port(closed), factory.Open);
        var refused = new ProbeResult(ProbeOutcome.Failure, $"dial tcp 127.0.0.1:{Port(closed)}: connect: connection refused");
        AssertProbesLeaveNothing("tcp refused", () => prober.Probe(Long), refused, N, factory);
    }

    [Fact]
    public void Tcp_Timeout_LeavesNoDescriptor()
    {
        using var blackhole = new Blackhole();
        var factory = new RecordingFactory();
        var prober = new TcpProber("127.0.0.1", blackhole.Port, factory.Open);
        var timedOut = new ProbeResult(ProbeOutcome.Failure, $"dial tcp 127.0.0.1:{blackhole.Port}: i/o timeout");
        AssertProbesLeaveNothing("tcp timeout", () => prober.Probe(Short), timedOut, SlowN, factory);
    }

    [Fact]
    public void Tcp_FactoryThrows_IsError_AndLeavesNoDescriptor()
    {
        var prober = new TcpProber("127.0.0.1", 80, _ => throw new NativeException("ps_socket_in_netns", "pidfd 9", Errno.ESRCH));
        var error = new ProbeResult(ProbeOutcome.Error, "dial tcp 127.0.0.1:80: socket: ps_socket_in_netns(pidfd 9): ESRCH");
        Assert.Equal(error, prober.Probe(Long));
        AssertNoSocketLeft("tcp factory throws", () => ProbeTimes(N, () => prober.Probe(Long), error));
    }

    // ---- HTTP ----

    private static HttpProber NewHttpProber(int port, ProbeSocketFactory factory, string scheme = "HTTP") =>
        new(new HttpProbeSpec(scheme, "127.0.0.1", port, "/", []), factory);

    [Fact]
    public void Http_Success_LeavesNoDescriptor()
    {
        using var server = new LoopbackHttpServer((_, _) => [Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")],
            maxConnections: N + 1, lifetimeMs: 120_000);
        var factory = new RecordingFactory();
        using HttpProber prober = NewHttpProber(server.Port, factory.Open);
        AssertProbesLeaveNothing("http success", () => prober.Probe(Long), new ProbeResult(ProbeOutcome.Success), N, factory);
    }

    [Fact]
    public void Http_Refused_LeavesNoDescriptor()
    {
        using Socket closed = ClosedPort();
        var factory = new RecordingFactory();
        using HttpProber prober = NewHttpProber(Port(closed), factory.Open);
        var refused = new ProbeResult(ProbeOutcome.Failure,
            $"Get \"http://127.0.0.1:{Port(closed)}/\": dial tcp 127.0.0.1:{Port(closed)}: connect: connection refused");
        AssertProbesLeaveNothing("http refused", () => prober.Probe(Long), refused, N, factory);
    }

    [Fact]
    public void Http_Timeout_LeavesNoDescriptor()
    {
        // Connected (the kernel completes the handshake) but never accepted, so never answered.
        using Socket listener = Listen(backlog: 128);
        var factory = new RecordingFactory();
        using HttpProber prober = NewHttpProber(Port(listener), factory.Open);
        var timedOut = new ProbeResult(ProbeOutcome.Failure,
            $"Get \"http://127.0.0.1:{Port(listener)}/\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)");
        AssertProbesLeaveNothing("http timeout", () => prober.Probe(Short), timedOut, SlowN, factory);
    }

    [Fact]
    public void Http_FactoryThrows_PropagatesAndLeavesNoDescriptor()
    {
        // The HTTP prober lets the factory's exception through; the probe executor reports it as an Error.
        using HttpProber prober = NewHttpProber(80, _ => throw new NativeException("ps_socket_in_netns", "pidfd 9", Errno.ESRCH));
        Assert.Equal("ps_socket_in_netns(pidfd 9): ESRCH", Assert.Throws<NativeException>(() => prober.Probe(Long)).Message);
        AssertNoSocketLeft("http factory throws", () =>
        {
            for (int i = 0; i < N; i++)
                Assert.Throws<NativeException>(() => prober.Probe(Long));
        });
    }

    [Fact]
    public void Https_HandshakeFailure_LeavesNoDescriptor()
    {
        // TLS to a plain HTTP server: the handshake fails; the SslStream path must close the descriptor too.
        using var server = new LoopbackHttpServer((_, _) => [Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")],
            maxConnections: SlowN + 1, lifetimeMs: 120_000, readRequest: false);
        var factory = new RecordingFactory();
        using HttpProber prober = NewHttpProber(server.Port, factory.Open, scheme: "HTTPS");
        Assert.Equal(ProbeOutcome.Failure, prober.Probe(Long).Outcome);
        AssertNoSocketLeft("https handshake failure", () =>
        {
            for (int i = 0; i < SlowN; i++)
                Assert.Equal(ProbeOutcome.Failure, prober.Probe(Long).Outcome);
        });
        factory.AssertEachClosed(SlowN + 1);
    }
}
