using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using PodShim.Interop;

namespace PodShim.Runtime.ClusterDns;

/// <summary>
/// One pod's DNS responder, run by its supervisor: a UDP socket and a TCP listener on the resolver
/// address inside the pod's network namespace (made there with ps_socket_in_netns, after the address
/// is put on the pod's lo). Cluster names are answered on the receiving thread without allocating a
/// task; other names are forwarded asynchronously so a slow upstream never holds up cluster answers.
/// </summary>
public sealed class PodDnsServer : IDisposable
{
    public const int DnsPort = 53;
    private const int MaxTcpConnections = 64;
    /// <summary>Forwarded queries in flight at once; past it, SERVFAIL at once (a flood must not exhaust fds).</summary>
    private const int MaxForwards = 256;
    private static readonly TimeSpan TcpIdleTimeout = TimeSpan.FromSeconds(10);

    private readonly Socket _udp;
    private readonly Socket _tcp;
    private readonly DnsRequestHandler _handler;
    private readonly UpstreamForwarder _forwarder;
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _udpThread;
    private readonly Thread _tcpThread;
    private int _tcpConnections;
    private int _forwarding;
    private long _answered, _forwarded, _failed, _dropped;

    private PodDnsServer(Socket udp, Socket tcp, DnsRequestHandler handler, UpstreamForwarder forwarder)
    {
        _udp = udp;
        _tcp = tcp;
        _handler = handler;
        _forwarder = forwarder;
        _udpThread = new Thread(ServeUdp) { IsBackground = true, Name = "dns udp" };
        _tcpThread = new Thread(AcceptTcp) { IsBackground = true, Name = "dns tcp" };
    }

    /// <summary>The UDP endpoint the responder listens on (the TCP listener has the same address and port).</summary>
    public IPEndPoint Endpoint => (IPEndPoint)_udp.LocalEndPoint!;

    /// <summary>Queries answered from the cluster zone (including error answers).</summary>
    public long Answered => Interlocked.Read(ref _answered);
    /// <summary>Queries forwarded upstream and answered from there.</summary>
    public long Forwarded => Interlocked.Read(ref _forwarded);
    /// <summary>Forwarded queries that got SERVFAIL (no upstream, or none answered in time).</summary>
    public long Failed => Interlocked.Read(ref _failed);
    /// <summary>Forwarded UDP queries waiting for an upstream now.</summary>
    public int ForwardsInFlight => Volatile.Read(ref _forwarding);
    /// <summary>Messages dropped: responses, runts, or anything that made handling fail.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>
    /// Starts the responder for the pod whose holder is <paramref name="holderPidfd"/>: adds
    /// <paramref name="address"/>/32 to the pod's lo and listens on port 53 there, UDP and TCP.
    /// </summary>
    public static PodDnsServer StartInPod(SafeFdHandle holderPidfd, IPAddress address, DnsRequestHandler handler, UpstreamForwarder forwarder)
    {
        NetnsAddress.AddToLoopback(holderPidfd, address.GetAddressBytes(), 32);
        Socket udp = NetnsSocket.Create(holderPidfd, AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        Socket? tcp = null;
        try
        {
            tcp = NetnsSocket.Create(holderPidfd, AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            return Start(udp, tcp, new IPEndPoint(address, DnsPort), handler, forwarder);
        }
        catch
        {
            udp.Dispose();
            tcp?.Dispose();
            throw;
        }
    }

    /// <summary>Binds the given sockets to <paramref name="endpoint"/> and starts serving (tests use host loopback sockets).</summary>
    public static PodDnsServer Start(Socket udp, Socket tcp, IPEndPoint endpoint, DnsRequestHandler handler, UpstreamForwarder forwarder)
    {
        udp.Bind(endpoint);
        // Port 0: the TCP listener takes the port UDP got.
        tcp.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        tcp.Bind(new IPEndPoint(endpoint.Address, ((IPEndPoint)udp.LocalEndPoint!).Port));
        tcp.Listen(MaxTcpConnections);
        var server = new PodDnsServer(udp, tcp, handler, forwarder);
        server._udpThread.Start();
        server._tcpThread.Start();
        return server;
    }

    private void ServeUdp()
    {
        byte[] request = new byte[DnsHeader.MaxUdpPayload];
        byte[] response = new byte[DnsHeader.MaxUdpPayload];
        var from = new SocketAddress(_udp.AddressFamily);
        while (!_stop.IsCancellationRequested)
        {
            int n;
            try
            {
                n = _udp.ReceiveFrom(request, SocketFlags.None, from);
            }
            catch (SocketException) when (!_stop.IsCancellationRequested)
            {
                Thread.Sleep(1); // whatever it was, never spin on it
                continue;
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }
            DnsHandling handling;
            int length;
            try
            {
                handling = _handler.Handle(request.AsSpan(0, n), response, tcp: false, out length);
            }
            catch (Exception)
            {
                // Handle is built not to throw on any input; should it ever, one message is lost, not the responder.
                Interlocked.Increment(ref _dropped);
                continue;
            }
            switch (handling)
            {
                case DnsHandling.Reply:
                    Interlocked.Increment(ref _answered);
                    SendUdp(response.AsSpan(0, length), from);
                    break;
                case DnsHandling.Forward:
                    ForwardUdp(request.AsSpan(0, n).ToArray(), Copy(from));
                    break;
                default:
                    Interlocked.Increment(ref _dropped);
                    break;
            }
        }
    }

    private void SendUdp(ReadOnlySpan<byte> message, SocketAddress to)
    {
        try
        {
            _udp.SendTo(message, SocketFlags.None, to);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // The client went away, or the responder is stopping: nothing to do.
        }
    }

    private void ForwardUdp(byte[] query, SocketAddress client)
    {
        if (Interlocked.Increment(ref _forwarding) > MaxForwards)
        {
            Interlocked.Decrement(ref _forwarding);
            Interlocked.Increment(ref _failed);
            Span<byte> failure = stackalloc byte[DnsHeader.UdpLimit];
            int n = DnsRequestHandler.ServerFailure(query, failure);
            if (n > 0)
                SendUdp(failure[..n], client);
            return;
        }
        _ = Task.Run(async () =>
        {
            byte[] reply = ArrayPool<byte>.Shared.Rent(DnsRequestHandler.TcpLimit);
            try
            {
                int n = await _forwarder.ForwardAsync(query, reply, tcp: false, _stop.Token).ConfigureAwait(false);
                if (n > 0)
                {
                    Interlocked.Increment(ref _forwarded);
                    n = DnsRequestHandler.TruncateForUdp(reply, n, DnsRequestHandler.UdpLimitOf(query));
                }
                else
                {
                    Interlocked.Increment(ref _failed);
                    n = DnsRequestHandler.ServerFailure(query, reply);
                }
                if (n > 0)
                    SendUdp(reply.AsSpan(0, n), client);
            }
            catch (OperationCanceledException)
            {
                // Stopping.
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(reply);
                Interlocked.Decrement(ref _forwarding);
            }
        });
    }

    private void AcceptTcp()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = _tcp.Accept();
            }
            catch (SocketException) when (!_stop.IsCancellationRequested)
            {
                Thread.Sleep(10); // e.g. EMFILE: wait rather than spin
                continue;
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            if (Interlocked.Increment(ref _tcpConnections) > MaxTcpConnections)
            {
                Interlocked.Decrement(ref _tcpConnections);
                client.Dispose();
                continue;
            }
            _ = Task.Run(async () =>
            {
                try
                {
                    await ServeTcpAsync(client).ConfigureAwait(false);
                }
                finally
                {
                    Interlocked.Decrement(ref _tcpConnections);
                    client.Dispose();
                }
            });
        }
    }

    /// <summary>Length-prefixed messages on one connection (RFC 7766), until EOF, an idle timeout or the stop.</summary>
    private async Task ServeTcpAsync(Socket client)
    {
        byte[] request = ArrayPool<byte>.Shared.Rent(DnsRequestHandler.TcpLimit);
        byte[] response = ArrayPool<byte>.Shared.Rent(2 + DnsRequestHandler.TcpLimit);
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                using var idle = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                idle.CancelAfter(TcpIdleTimeout);
                if (!await UpstreamForwarder.ReadExactlyAsync(client, request.AsMemory(0, 2), idle.Token).ConfigureAwait(false))
                    return;
                int length = BinaryPrimitives.ReadUInt16BigEndian(request);
                if (length == 0 || !await UpstreamForwarder.ReadExactlyAsync(client, request.AsMemory(0, length), idle.Token).ConfigureAwait(false))
                    return;
                DnsHandling handling;
                int n;
                try
                {
                    handling = _handler.Handle(request.AsSpan(0, length), response.AsSpan(2), tcp: true, out n);
                }
                catch (Exception)
                {
                    Interlocked.Increment(ref _dropped);
                    return;
                }
                if (handling == DnsHandling.Drop)
                {
                    Interlocked.Increment(ref _dropped);
                    continue;
                }
                if (handling == DnsHandling.Reply)
                    Interlocked.Increment(ref _answered);
                else
                {
                    byte[] query = request.AsSpan(0, length).ToArray();
                    n = await _forwarder.ForwardAsync(query, response.AsMemory(2, DnsRequestHandler.TcpLimit), tcp: true, _stop.Token).ConfigureAwait(false);
                    if (n > 0)
                        Interlocked.Increment(ref _forwarded);
                    else
                    {
                        Interlocked.Increment(ref _failed);
                        n = DnsRequestHandler.ServerFailure(query, response.AsSpan(2));
                    }
                    if (n <= 0)
                        continue;
                }
                BinaryPrimitives.WriteUInt16BigEndian(response, (ushort)n);
                await client.SendAsync(response.AsMemory(0, 2 + n), SocketFlags.None, _stop.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The client went away, stayed idle too long, or the responder is stopping.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(request);
            ArrayPool<byte>.Shared.Return(response);
        }
    }

    private static SocketAddress Copy(SocketAddress address)
    {
        var copy = new SocketAddress(address.Family, address.Size);
        address.Buffer.CopyTo(copy.Buffer);
        return copy;
    }

    /// <summary>Closes both sockets (which wakes the blocked receive and accept) and waits for the two threads.</summary>
    public void Dispose()
    {
        if (_stop.IsCancellationRequested)
            return;
        _stop.Cancel();
        _udp.Dispose();
        _tcp.Dispose();
        _udpThread.Join(TimeSpan.FromSeconds(5));
        _tcpThread.Join(TimeSpan.FromSeconds(5));
        // _stop is not disposed: forwarding tasks still finishing read its token.
    }
}
