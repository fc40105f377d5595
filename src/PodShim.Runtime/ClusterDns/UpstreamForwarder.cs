using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace PodShim.Runtime.ClusterDns;

/// <summary>
/// Sends a query the cluster zone does not answer to the upstream resolvers, in order, over the
/// transport the client used (UDP, or TCP with its length prefix), and hands back the first reply
/// that matches it. The sockets live in the supervisor's (the host's) network namespace. The whole
/// attempt is bounded by one time budget shared among the upstreams, so the caller can answer
/// SERVFAIL well before a client gives up; with no upstreams it fails at once.
/// </summary>
public sealed class UpstreamForwarder
{
    private readonly Lazy<IReadOnlyList<IPEndPoint>> _upstreams;

    public UpstreamForwarder(IReadOnlyList<IPEndPoint> upstreams, TimeSpan budget)
        : this(() => upstreams, budget)
    {
        ArgumentNullException.ThrowIfNull(upstreams);
    }

    /// <summary>Upstreams found when the first query is forwarded (reading the node's resolv.conf is then off a pod's start).</summary>
    public UpstreamForwarder(Func<IReadOnlyList<IPEndPoint>> upstreams, TimeSpan budget)
    {
        ArgumentNullException.ThrowIfNull(upstreams);
        _upstreams = new Lazy<IReadOnlyList<IPEndPoint>>(upstreams, LazyThreadSafetyMode.ExecutionAndPublication);
        Budget = budget;
    }

    public IReadOnlyList<IPEndPoint> Upstreams => _upstreams.Value;
    public TimeSpan Budget { get; }

    /// <summary>Forwards <paramref name="query"/>; returns the reply's length in <paramref name="reply"/>, or -1.</summary>
    public async ValueTask<int> ForwardAsync(ReadOnlyMemory<byte> query, Memory<byte> reply, bool tcp, CancellationToken cancel)
    {
        IReadOnlyList<IPEndPoint> upstreams = Upstreams;
        if (upstreams.Count == 0 || query.Length < DnsHeader.Size)
            return -1;
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < upstreams.Count; i++)
        {
            TimeSpan left = Budget - Stopwatch.GetElapsedTime(start);
            if (left <= TimeSpan.Zero)
                break;
            TimeSpan slice = left / (upstreams.Count - i);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            timeout.CancelAfter(slice);
            try
            {
                int n = tcp
                    ? await ExchangeTcpAsync(upstreams[i], query, reply, timeout.Token).ConfigureAwait(false)
                    : await ExchangeUdpAsync(upstreams[i], query, reply, timeout.Token).ConfigureAwait(false);
                if (n > 0)
                    return n;
            }
            catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
            {
                // This upstream ran out of its share of the budget: try the next.
            }
            catch (SocketException)
            {
                // Refused or unreachable: try the next.
            }
        }
        return -1;
    }

    private static async ValueTask<int> ExchangeUdpAsync(IPEndPoint upstream, ReadOnlyMemory<byte> query, Memory<byte> reply, CancellationToken cancel)
    {
        using var socket = new Socket(upstream.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        // A connected socket only receives from the upstream; the kernel picks a random source port.
        await socket.ConnectAsync(upstream, cancel).ConfigureAwait(false);
        await socket.SendAsync(query, SocketFlags.None, cancel).ConfigureAwait(false);
        while (true)
        {
            int n = await socket.ReceiveAsync(reply, SocketFlags.None, cancel).ConfigureAwait(false);
            if (Matches(query.Span, reply.Span[..n]))
                return n;
        }
    }

    private static async ValueTask<int> ExchangeTcpAsync(IPEndPoint upstream, ReadOnlyMemory<byte> query, Memory<byte> reply, CancellationToken cancel)
    {
        using var socket = new Socket(upstream.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(upstream, cancel).ConfigureAwait(false);
        byte[] framed = new byte[2 + query.Length];
        BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)query.Length);
        query.CopyTo(framed.AsMemory(2));
        await socket.SendAsync(framed, SocketFlags.None, cancel).ConfigureAwait(false);
        byte[] prefix = new byte[2];
        if (!await ReadExactlyAsync(socket, prefix, cancel).ConfigureAwait(false))
            return -1;
        int length = BinaryPrimitives.ReadUInt16BigEndian(prefix);
        if (length > reply.Length || !await ReadExactlyAsync(socket, reply[..length], cancel).ConfigureAwait(false))
            return -1;
        return Matches(query.Span, reply.Span[..length]) ? length : -1;
    }

    internal static async ValueTask<bool> ReadExactlyAsync(Socket socket, Memory<byte> buffer, CancellationToken cancel)
    {
        int read = 0;
        while (read < buffer.Length)
        {
            int n = await socket.ReceiveAsync(buffer[read..], SocketFlags.None, cancel).ConfigureAwait(false);
            if (n == 0)
                return false;
            read += n;
        }
        return true;
    }

    /// <summary>A reply to this query: same id, QR set, and the same question section.</summary>
    internal static bool Matches(ReadOnlySpan<byte> query, ReadOnlySpan<byte> reply)
    {
        if (reply.Length < DnsHeader.Size || reply[0] != query[0] || reply[1] != query[1] || (reply[2] & 0x80) == 0)
            return false;
        // The question is the first section of both; compare it (ignoring case) when the reply carries one.
        if (DnsHeader.ReadUInt16(reply, 4) == 0)
            return true; // FORMERR and the like may omit it
        int end = DnsName.Skip(query, DnsHeader.Size);
        if (end < 0 || end + 4 > query.Length)
            return false;
        int questionLength = end + 4 - DnsHeader.Size;
        return reply.Length >= DnsHeader.Size + questionLength
            && DnsName.EqualsIgnoreCase(reply.Slice(DnsHeader.Size, questionLength), query.Slice(DnsHeader.Size, questionLength));
    }
}
