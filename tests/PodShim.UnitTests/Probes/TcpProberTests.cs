using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using PodShim.Interop;
using PodShim.Runtime.Probes;
using Xunit.Abstractions;

namespace PodShim.UnitTests.Probes;

public class TcpProberTests(ITestOutputHelper output)
{
    /// <summary>The probers' socket factory here: a raw TCP socket on the host (the prober owns and closes it).</summary>
    private static int OpenSocket(AddressFamily family) => HostSocket.OpenStream(family);

    private static Socket NewSocket(AddressFamily family) => new(family, SocketType.Stream, ProtocolType.Tcp);

    private static Socket Listen(int backlog = 16, IPAddress? address = null)
    {
        var listener = new Socket((address ?? IPAddress.Loopback).AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(address ?? IPAddress.Loopback, 0));
        listener.Listen(backlog);
        return listener;
    }

    private static int Port(Socket s) => ((IPEndPoint)s.LocalEndPoint!).Port;

    /// <summary>A port nothing listens on: bound (so nobody else takes it) but not listening.</summary>
    private static Socket ClosedPort(IPAddress? address = null)
    {
        var s = new Socket((address ?? IPAddress.Loopback).AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        s.Bind(new IPEndPoint(address ?? IPAddress.Loopback, 0));
        return s;
    }

    /// <summary>Accepts and closes connections on a background thread until disposed.</summary>
    private sealed class AcceptLoop : IDisposable
    {
        private readonly Socket _listener;
        private readonly Thread _thread;
        public int Accepted;

        public AcceptLoop(Socket listener)
        {
            _listener = listener;
            _thread = new Thread(() =>
            {
                try
                {
                    while (true)
                    {
                        using Socket s = _listener.Accept();
                        Interlocked.Increment(ref Accepted);
                    }
                }
                catch (SocketException) { }
                catch (ObjectDisposedException) { }
            }) { IsBackground = true };
            _thread.Start();
        }

        public void Dispose()
        {
            _listener.Dispose();
            _thread.Join(5_000);
        }
    }

    [Fact]
    public void OpenPort_Succeeds()
    {
        using Socket listener = Listen();
        var prober = new TcpProber("127.0.0.1", Port(listener), OpenSocket);
        Assert.Equal(new ProbeResult(ProbeOutcome.Success), prober.Probe(TimeSpan.FromSeconds(1)));
        using Socket accepted = listener.Accept();
    }

    [Fact]
    public void ClosedPort_FailsWithConnectionRefused()
    {
        using Socket closed = ClosedPort();
        int port = Port(closed);
        var prober = new TcpProber("127.0.0.1", port, OpenSocket);
        Assert.Equal(new ProbeResult(ProbeOutcome.Failure, $"dial tcp 127.0.0.1:{port}: connect: connection refused"), prober.Probe(TimeSpan.FromSeconds(1)));
        // The cached message is reused, the result stays the same.
        Assert.Equal(ProbeOutcome.Failure, prober.Probe(TimeSpan.FromSeconds(1)).Outcome);
    }

    [Fact]
    public void Ipv6_AddressInBrackets()
    {
        Socket closed;
        try
        {
            closed = ClosedPort(IPAddress.IPv6Loopback);
        }
        catch (SocketException)
        {
            return; // no IPv6 loopback here
        }
        using (closed)
        {
            int port = Port(closed);
            ProbeResult r = new TcpProber("::1", port, OpenSocket).Probe(TimeSpan.FromSeconds(1));
            Assert.Equal(new ProbeResult(ProbeOutcome.Failure, $"dial tcp [::1]:{port}: connect: connection refused"), r);
            using Socket listener = Listen(address: IPAddress.IPv6Loopback);
            Assert.Equal(ProbeOutcome.Success, new TcpProber("::1", Port(listener), OpenSocket).Probe(TimeSpan.FromSeconds(1)).Outcome);
        }
    }

    [Fact]
    public void FullAcceptQueue_TimesOutWithinBounds()
    {
        // A listener with backlog 0 that never accepts: once its accept queue is full, Linux drops further SYNs,
        // so a connect hangs as it would against a blackholed address.
        using Socket listener = Listen(backlog: 0);
        int port = Port(listener);
        var fillers = new List<Socket>();
        try
        {
            var probe = new TcpProber("127.0.0.1", port, OpenSocket);
            ProbeResult r = default;
            TimeSpan elapsed = default;
            for (int i = 0; i < 8; i++)
            {
                var sw = Stopwatch.StartNew();
                r = probe.Probe(TimeSpan.FromMilliseconds(300));
                elapsed = sw.Elapsed;
                if (r.Outcome != ProbeOutcome.Success)
                    break;
                // A probe that got in occupies the queue (RST'd, but still queued until accepted); add a live one too.
                var filler = NewSocket(AddressFamily.InterNetwork);
                fillers.Add(filler);
                filler.Blocking = false;
                try { filler.Connect(IPAddress.Loopback, port); } catch (SocketException) { }
            }
            Assert.Equal(new ProbeResult(ProbeOutcome.Failure, $"dial tcp 127.0.0.1:{port}: i/o timeout"), r);
            Assert.InRange(elapsed, TimeSpan.FromMilliseconds(280), TimeSpan.FromSeconds(2));
            output.WriteLine($"timed out after {elapsed.TotalMilliseconds:F0} ms (timeout 300 ms)");
        }
        finally
        {
            foreach (Socket s in fillers)
                s.Dispose();
        }
    }

    [Fact]
    public void ProbeSocket_IsClosedWithReset_SoNoTimeWait()
    {
        using Socket listener = Listen();
        var prober = new TcpProber("127.0.0.1", Port(listener), OpenSocket);
        Assert.Equal(ProbeOutcome.Success, prober.Probe(TimeSpan.FromSeconds(1)).Outcome);
        using Socket accepted = listener.Accept();
        accepted.ReceiveTimeout = 2_000;
        var e = Assert.Throws<SocketException>(() => accepted.Receive(new byte[1]));
        Assert.Equal(SocketError.ConnectionReset, e.SocketErrorCode);   // an orderly close (FIN) would read 0 instead
    }

    [Fact]
    public void UsesTheFactory_ForTheAddressFamily_AndFactoryFailureIsError()
    {
        using Socket listener = Listen();
        var families = new List<AddressFamily>();
        var prober = new TcpProber("127.0.0.1", Port(listener), f => { families.Add(f); return OpenSocket(f); });
        prober.Probe(TimeSpan.FromSeconds(1));
        Assert.Equal([AddressFamily.InterNetwork], families);

        var broken = new TcpProber("127.0.0.1", 80, _ => throw new InvalidOperationException("ps_socket_in_netns: No such process"));
        ProbeResult r = broken.Probe(TimeSpan.FromSeconds(1));
        Assert.Equal(ProbeOutcome.Error, r.Outcome);
        Assert.Equal("dial tcp 127.0.0.1:80: socket: ps_socket_in_netns: No such process", r.Message);
    }

    [Fact]
    public void Ipv4MappedAddress_IsProbedOverIpv4()
    {
        using Socket listener = Listen();
        var families = new List<AddressFamily>();
        var prober = new TcpProber("::ffff:127.0.0.1", Port(listener), f => { families.Add(f); return OpenSocket(f); });
        Assert.Equal(ProbeOutcome.Success, prober.Probe(TimeSpan.FromSeconds(1)).Outcome);
        Assert.Equal([AddressFamily.InterNetwork], families);
    }

    [Fact]
    public void HostName_IsResolved()
    {
        using Socket listener = Listen();
        Assert.Equal(ProbeOutcome.Success, new TcpProber("localhost", Port(listener), OpenSocket).Probe(TimeSpan.FromSeconds(1)).Outcome);
        ProbeResult r = new TcpProber("no-such-host.invalid", 80, OpenSocket).Probe(TimeSpan.FromSeconds(1));
        Assert.Equal(new ProbeResult(ProbeOutcome.Failure, "dial tcp: lookup no-such-host.invalid: no such host"), r);
    }

    [Fact]
    public void SteadyStateProbes_AllocateNothing()
    {
        using Socket listener = Listen(backlog: 512);
        using var accept = new AcceptLoop(listener);
        var prober = new TcpProber("127.0.0.1", Port(listener), OpenSocket);
        var timeout = TimeSpan.FromSeconds(1);
        for (int i = 0; i < 500; i++)
            Assert.Equal(ProbeOutcome.Success, prober.Probe(timeout).Outcome);

        const int N = 10_000;
        long started = Stopwatch.GetTimestamp();
        long before = GC.GetAllocatedBytesForCurrentThread();
        int ok = 0;
        for (int i = 0; i < N; i++)
            if (prober.Probe(timeout).Outcome == ProbeOutcome.Success)
                ok++;
        long bytes = GC.GetAllocatedBytesForCurrentThread() - before;
        TimeSpan elapsed = Stopwatch.GetElapsedTime(started);

        output.WriteLine($"{N} TCP probes: {ok} ok, {elapsed.TotalMicroseconds / N:F1} µs/probe, {bytes} bytes allocated in total");
        // Loopback connects to the in-test listener: on a loaded machine its accept queue can overflow for a moment
        // and a SYN waits past the 1 s timeout, so a handful of the 10 000 may fail (a timeout's message is cached,
        // so it allocates nothing either). The figure is the allocation.
        Assert.InRange(ok, N - N / 1000, N);
        // Nothing at all per probe, the socket included: the factory returns a raw descriptor (no Socket, no
        // SafeHandle), and linger, fcntl, connect, poll, getsockopt and close are raw calls.
        Assert.Equal(0L, bytes);
    }
}
