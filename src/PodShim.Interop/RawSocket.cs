using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace PodShim.Interop;

/// <summary>
/// The calls a probe makes on a raw TCP descriptor it owns for one connection (from
/// <see cref="NetnsSocket.OpenStream"/> or <see cref="HostSocket.OpenStream"/>): no Socket object, so
/// nothing is allocated. Failures come back as errno numbers, which the probers turn into Go's texts.
/// </summary>
public static unsafe class RawSocket
{
    public const short PollIn = Interop.POLLIN, PollOut = Interop.POLLOUT, PollErr = Interop.POLLERR, PollHup = Interop.POLLHUP;

    /// <summary>The largest sockaddr <see cref="WriteSockaddr"/> writes (sockaddr_in6).</summary>
    public const int MaxSockaddrLength = 28;

    private const int EINTR = 4, EINPROGRESS = 115;

    /// <summary>struct sockaddr_in (16 bytes) or sockaddr_in6 (28) for connect(2); returns its length.</summary>
    public static int WriteSockaddr(IPAddress address, int port, Span<byte> into)
    {
        into[..MaxSockaddrLength].Clear();
        bool v4 = address.AddressFamily == AddressFamily.InterNetwork;
        BitConverter.TryWriteBytes(into, (ushort)(v4 ? Interop.AF_INET : Interop.AF_INET6)); // sa_family, host order
        into[2] = (byte)(port >> 8);                                                        // sin_port, network order
        into[3] = (byte)port;
        if (v4)
        {
            address.TryWriteBytes(into.Slice(4, 4), out _);
            return 16;
        }
        address.TryWriteBytes(into.Slice(8, 16), out _);
        BitConverter.TryWriteBytes(into.Slice(24, 4), (uint)address.ScopeId);
        return MaxSockaddrLength;
    }

    /// <summary>SO_LINGER {on, 0 s}: close(2) sends RST and the socket skips TIME_WAIT (the kubelet ran out of
    /// ephemeral ports at ~600 probes/s without it). 0, or the errno.</summary>
    public static int SetLingerReset(int fd)
    {
        var linger = new Interop.Linger { OnOff = 1, Seconds = 0 };
        return Interop.SetSockOpt(fd, Interop.SOL_SOCKET, Interop.SO_LINGER, &linger, (uint)sizeof(Interop.Linger)) < 0
            ? Marshal.GetLastPInvokeError() : 0;
    }

    /// <summary>Adds O_NONBLOCK (fcntl(2)). 0, or the errno.</summary>
    public static int SetNonBlocking(int fd)
    {
        int flags = Interop.Fcntl(fd, Interop.F_GETFL, 0);
        return flags < 0 || Interop.Fcntl(fd, Interop.F_SETFL, flags | Interop.O_NONBLOCK) < 0 ? Marshal.GetLastPInvokeError() : 0;
    }

    /// <summary>connect(2) on a non-blocking socket: 0, or the errno (EINPROGRESS while it completes; also for
    /// EINTR, after which POSIX has the connection go on asynchronously, where a second connect would fail).</summary>
    public static int ConnectNonBlocking(int fd, ReadOnlySpan<byte> sockaddr)
    {
        fixed (byte* p = sockaddr)
        {
            if (Interop.Connect(fd, p, (uint)sockaddr.Length) == 0)
                return 0;
        }
        int errno = Marshal.GetLastPInvokeError();
        return errno == EINTR ? EINPROGRESS : errno;
    }

    /// <summary>poll(2) one descriptor: its revents when ready or in error (never 0), 0 when the time ran out
    /// (at once for <paramref name="timeoutMs"/> ≤ 0). A failed poll returns <paramref name="events"/>, so that the
    /// socket call made next reports the error.</summary>
    public static int Wait(int fd, short events, int timeoutMs)
    {
        if (timeoutMs <= 0)
            return 0;
        var pfd = new Interop.PollFd { Fd = fd, Events = events };
        long deadline = Environment.TickCount64 + timeoutMs;
        while (true)
        {
            int r = Interop.Poll(&pfd, 1, timeoutMs);
            if (r > 0)
                return pfd.Revents == 0 ? events : pfd.Revents;
            if (r == 0)
                return 0;
            if (Marshal.GetLastPInvokeError() != EINTR)
                return events;
            timeoutMs = (int)(deadline - Environment.TickCount64);
            if (timeoutMs <= 0)
                return 0;
        }
    }

    /// <summary>The socket's pending error (SO_ERROR): 0 once connected, or the errno of getsockopt itself.</summary>
    public static int PendingError(int fd)
    {
        int error = 0;
        uint length = sizeof(int);
        return Interop.GetSockOpt(fd, Interop.SOL_SOCKET, Interop.SO_ERROR, &error, &length) < 0 ? Marshal.GetLastPInvokeError() : error;
    }

    /// <summary>recv(2): bytes read (0 = end of stream) or -errno; EINTR retried.</summary>
    public static int Recv(int fd, Span<byte> into)
    {
        fixed (byte* p = into)
        {
            while (true)
            {
                nint n = Interop.Recv(fd, p, (nuint)into.Length, 0);
                if (n >= 0)
                    return (int)n;
                int errno = Marshal.GetLastPInvokeError();
                if (errno != EINTR)
                    return -errno;
            }
        }
    }

    /// <summary>send(2) without SIGPIPE: bytes written or -errno; EINTR retried.</summary>
    public static int Send(int fd, ReadOnlySpan<byte> data)
    {
        fixed (byte* p = data)
        {
            while (true)
            {
                nint n = Interop.Send(fd, p, (nuint)data.Length, Interop.MSG_NOSIGNAL);
                if (n >= 0)
                    return (int)n;
                int errno = Marshal.GetLastPInvokeError();
                if (errno != EINTR)
                    return -errno;
            }
        }
    }
}
