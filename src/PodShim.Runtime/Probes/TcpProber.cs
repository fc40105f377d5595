using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
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
public sealed partial class TcpProber
{
    private const int SOL_SOCKET = 1, SO_ERROR = 4, SO_LINGER = 13;
    private const int EINTR = 4, EINPROGRESS = 115, EAGAIN = 11;
    private const short POLLOUT = 0x4;

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
            if (errno == Errno.ECONNREFUSED && ReferenceEquals(prefix, _dialPrefix))
                return new ProbeResult(ProbeOutcome.Failure, _refused);
            return new ProbeResult(ProbeOutcome.Failure, prefix + "connect: " + Errno.Text(errno));
        }
        finally
        {
            Posix.Close(fd);
        }
    }

    /// <summary>0 when connected, -1 on timeout, else the errno of the failed connect.</summary>
    private static unsafe int Connect(int fd, byte[] sockaddr, long deadline)
    {
        var linger = new Native.Linger { OnOff = 1, Seconds = 0 };
        if (Native.SetSockOpt(fd, SOL_SOCKET, SO_LINGER, &linger, (uint)sizeof(Native.Linger)) < 0)
            return Marshal.GetLastPInvokeError();
        // O_NONBLOCK through fcntl(2) on the descriptor: no Socket object, nothing allocated.
        int flags = Native.Fcntl(fd, Native.F_GETFL, 0);
        if (flags < 0 || Native.Fcntl(fd, Native.F_SETFL, flags | Native.O_NONBLOCK) < 0)
            return Marshal.GetLastPInvokeError();

        int rc;
        fixed (byte* sa = sockaddr)
            rc = Native.Connect(fd, sa, (uint)sockaddr.Length);
        if (rc == 0)
            return 0;
        int err = Marshal.GetLastPInvokeError();
        if (err != EINPROGRESS && err != EAGAIN && err != EINTR)
            return err;

        var pfd = new Native.PollFd { Fd = fd, Events = POLLOUT };
        while (true)
        {
            long left = deadline == long.MaxValue ? -1 : deadline - Environment.TickCount64;
            if (deadline != long.MaxValue && left <= 0)
                return -1;
            int n = Native.Poll(&pfd, 1, (int)Math.Min(left, int.MaxValue));
            if (n > 0)
                break;
            if (n == 0)
                return -1;
            err = Marshal.GetLastPInvokeError();
            if (err != EINTR)
                return err;
        }

        int soError = 0;
        uint len = sizeof(int);
        if (Native.GetSockOpt(fd, SOL_SOCKET, SO_ERROR, &soError, &len) < 0)
            return Marshal.GetLastPInvokeError();
        return soError;
    }

    /// <summary>struct sockaddr_in / sockaddr_in6, as connect(2) takes it.</summary>
    internal static byte[] SockAddr(IPAddress address, int port)
    {
        byte[] sa;
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            sa = new byte[16];
            BinaryPrimitives.WriteUInt16LittleEndian(sa, 2);                // AF_INET (host order, x86/arm little-endian)
            BinaryPrimitives.WriteUInt16BigEndian(sa.AsSpan(2), (ushort)port);
            address.TryWriteBytes(sa.AsSpan(4, 4), out _);
        }
        else
        {
            sa = new byte[28];
            BinaryPrimitives.WriteUInt16LittleEndian(sa, 10);               // AF_INET6
            BinaryPrimitives.WriteUInt16BigEndian(sa.AsSpan(2), (ushort)port);
            address.TryWriteBytes(sa.AsSpan(8, 16), out _);
            BinaryPrimitives.WriteUInt32LittleEndian(sa.AsSpan(24), (uint)address.ScopeId);
        }
        if (!BitConverter.IsLittleEndian)
            (sa[0], sa[1]) = (sa[1], sa[0]);
        return sa;
    }

    /// <summary>Go's net.JoinHostPort: IPv6 literals in brackets.</summary>
    internal static string JoinHostPort(string host, int port) =>
        host.Contains(':') ? $"[{host}]:{port}" : $"{host}:{port}";

    /// <summary>errno numbers and the texts Go's syscall.Errno prints for them.</summary>
    internal static class Errno
    {
        public const int ECONNREFUSED = 111;

        public static string Text(int errno) => errno switch
        {
            ECONNREFUSED => "connection refused",
            113 => "no route to host",
            101 => "network is unreachable",
            110 => "connection timed out",
            104 => "connection reset by peer",
            99 => "cannot assign requested address",
            98 => "address already in use",
            13 => "permission denied",
            1 => "operation not permitted",
            24 => "too many open files",
            97 => "address family not supported by protocol",
            _ => LowerFirst(Marshal.GetPInvokeErrorMessage(errno)),
        };

        private static string LowerFirst(string s) => s.Length > 0 && char.IsUpper(s[0]) ? char.ToLowerInvariant(s[0]) + s[1..] : s;
    }

    private static unsafe partial class Native
    {
        public const int F_GETFL = 3, F_SETFL = 4, O_NONBLOCK = 0x800;   // Linux values (x86-64, arm64)

        [StructLayout(LayoutKind.Sequential)]
        public struct PollFd
        {
            public int Fd;
            public short Events;
            public short Revents;
        }

        [LibraryImport("libc", EntryPoint = "connect", SetLastError = true)]
        public static partial int Connect(int fd, byte* addr, uint len);

        [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
        public static partial int Poll(PollFd* fds, nuint nfds, int timeoutMs);

        /// <summary>struct linger: {1, 0} makes close(2) reset the connection instead of lingering in TIME_WAIT.</summary>
        [StructLayout(LayoutKind.Sequential)]
        public struct Linger
        {
            public int OnOff;
            public int Seconds;
        }

        [LibraryImport("libc", EntryPoint = "getsockopt", SetLastError = true)]
        public static partial int GetSockOpt(int fd, int level, int name, void* value, uint* len);

        [LibraryImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
        public static partial int SetSockOpt(int fd, int level, int name, void* value, uint len);

        // fcntl is variadic; with int arguments the Linux x86-64 and arm64 calling conventions are the same.
        [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
        public static partial int Fcntl(int fd, int cmd, int arg);
    }
}
