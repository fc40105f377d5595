using System.Net.Sockets;

namespace PodShim.Interop;

/// <summary>Sockets created inside a pod's network namespace (ps_socket_in_netns).</summary>
public static class NetnsSocket
{
    public static Socket Create(SafeFdHandle pidfd, AddressFamily family, SocketType type, ProtocolType protocol)
    {
        int domain = HostSocket.Domain(family);
        int sockType = type switch
        {
            SocketType.Stream => Interop.SOCK_STREAM,
            SocketType.Dgram => Interop.SOCK_DGRAM,
            _ => throw new ArgumentOutOfRangeException(nameof(type), type, "only stream and datagram sockets"),
        };
        int fd = NativeException.ThrowIfNegative(Interop.SocketInNetns(pidfd, domain, sockType, (int)protocol), "ps_socket_in_netns", $"pidfd {pidfd.Fd}");
        return new Socket(new SafeSocketHandle((IntPtr)fd, ownsHandle: true));
    }

    /// <summary>A TCP socket in the namespace as a raw descriptor (close-on-exec) that the caller owns and closes
    /// (<see cref="Posix.Close"/>): no Socket or SafeHandle object, so a probe that owns it for one call allocates
    /// nothing. Throws <see cref="NativeException"/> naming ps_socket_in_netns and the pidfd on failure.</summary>
    public static int OpenStream(SafeFdHandle pidfd, AddressFamily family) =>
        NativeException.ThrowIfNegative(Interop.SocketInNetns(pidfd, HostSocket.Domain(family), Interop.SOCK_STREAM, 0),
            "ps_socket_in_netns", $"pidfd {pidfd.Fd}");
}
