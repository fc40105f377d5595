using System.Net;
using System.Net.Sockets;
using PodShim.Interop;

namespace PodShim.Runtime.Probes;

/// <summary>A tcpSocket probe as the kubelet runs it (DoTCPProbe): success iff a connection to host:port is
/// established within the timeout; the socket is closed at once. Failures carry Go's dial error text
/// ("dial tcp 127.0.0.1:80: connect: connection refused", "dial tcp 127.0.0.1:80: i/o timeout").</summary>
/// <remarks>The socket is a raw descriptor from the factory (in the pod: ps_socket_in_netns), owned by the probe
/// and closed with close(2) before it returns; the connect is a raw non-blocking connect(2) + poll(2) on it, and
/// SO_LINGER {on, 0} makes the close an RST, so probe sockets never sit in TIME_WAIT (the kubelet ran out of
/// ephemeral ports at ~600 probes/s without it). The sockaddr and the common messages are built once, so a probe
/// to an IP address allocates nothing. A factory that throws (the pod's network namespace is gone) gives
/// <see cref="ProbeOutcome.Error"/>.</remarks>
public sealed class TcpProber
{
    private const int EINPROGRESS = 115, EAGAIN = 11;

    private readonly ProbeSocketFactory _socketFactory;
    private readonly string _host;
    private readonly int _port;
    private readonly IPAddress? _address;      // null: a host name, resolved at each probe as Go's dialer does
    private readonly byte[]? _sockaddr;
    private readonly string _dialPrefix;       // "dial tcp 127.0.0.1:80: "
    private readonly string _refused;
    private readonly string _timedOut;

    public TcpProber(string host, int port, ProbeSocketFactory socketFactory)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(socketFactory);
        if (port is < 1 or > 65535)
            throw new ArgumentOutOfRangeException(nameof(port), port, "a TCP port is 1-65535");
        _host = host;
        _port = port;
        _socketFactory = socketFactory;
        if (IPAddress.TryParse(host.Trim('[', ']'), out IPAddress? address))
        {
            if (address.IsIPv4MappedToIPv6)
                address = address.MapToIPv4();
            _address = address;
            _sockaddr = SockAddr(address, port);
        }
        _dialPrefix = $"dial tcp {JoinHostPort(_address?.ToString() ?? host, port)}: ";
        _refused = _dialPrefix + "connect: connection refused";
        _timedOut = _dialPrefix + "i/o timeout";
    }

    /// <summary>Connects once; Success with an empty message, or Failure with the dial error.</summary>
    public ProbeResult Probe(TimeSpan timeout)
    {
        long deadline = timeout > TimeSpan.Zero ? Environment.TickCount64 + (long)Math.Ceiling(timeout.TotalMilliseconds) : long.MaxValue;
        IPAddress? address = _address;
        byte[]? sockaddr = _sockaddr;
        string prefix = _dialPrefix;
        if (address is null)
        {
            // Host names are rare in probes (the kubelet targets the pod IP); resolve like Go's dialer does, each time.
            try
            {
                IPAddress[] addresses = Dns.GetHostAddresses(_host, AddressFamily.Unspecified);
                address = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault();
            }
            catch (SocketException)
            {
                address = null;
            }
            if (address is null)
                return new ProbeResult(ProbeOutcome.Failure, $"dial tcp: lookup {_host}: no such host");
            if (address.IsIPv4MappedToIPv6)
                address = address.MapToIPv4();
            sockaddr = SockAddr(address, _port);
            prefix = $"dial tcp {JoinHostPort(address.ToString(), _port)}: ";
        }

        int fd;
        try
        {
            fd = _socketFactory(address.AddressFamily);
        }
        catch (Exception e)
        {
            return new ProbeResult(ProbeOutcome.Error, prefix + "socket: " + e.Message);
        }
        try
        {
            int errno = Connect(fd, sockaddr!, deadline);
            if (errno == 0)
                return new ProbeResult(ProbeOutcome.Success);
            if (errno == -1)
                return new ProbeResult(ProbeOutcome.Failure, ReferenceEquals(prefix, _dialPrefix) ? _timedOut : prefix + "i/o timeout");
            if (errno == GoErrno.ECONNREFUSED && ReferenceEquals(prefix, _dialPrefix))
                return new ProbeResult(ProbeOutcome.Failure, _refused);
            return new ProbeResult(ProbeOutcome.Failure, prefix + "connect: " + GoErrno.Text(errno));
        }
        finally
        {
            Posix.Close(fd);
        }
    }

    /// <summary>0 when connected, -1 on timeout, else the errno of the failed connect.</summary>
    private static int Connect(int fd, byte[] sockaddr, long deadline)
    {
        int err = RawSocket.SetLingerReset(fd);
        if (err != 0 || (err = RawSocket.SetNonBlocking(fd)) != 0)
            return err;
        err = RawSocket.ConnectNonBlocking(fd, sockaddr);
        if (err != EINPROGRESS && err != EAGAIN)
            return err; // 0: connected at once
        long left = deadline == long.MaxValue ? int.MaxValue : deadline - Environment.TickCount64;
        if (RawSocket.Wait(fd, RawSocket.PollOut, (int)Math.Min(left, int.MaxValue)) == 0)
            return -1;
        return RawSocket.PendingError(fd);
    }

    /// <summary>struct sockaddr_in / sockaddr_in6, as connect(2) takes it.</summary>
    private static byte[] SockAddr(IPAddress address, int port)
    {
        Span<byte> sockaddr = stackalloc byte[RawSocket.MaxSockaddrLength];
        return sockaddr[..RawSocket.WriteSockaddr(address, port, sockaddr)].ToArray();
    }

    /// <summary>Go's net.JoinHostPort: IPv6 literals in brackets.</summary>
    internal static string JoinHostPort(string host, int port) =>
        host.Contains(':') ? $"[{host}]:{port}" : $"{host}:{port}";
}
