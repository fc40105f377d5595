using System.Net.Sockets;

namespace PodShim.Interop;

/// <summary>Sockets created inside a pod's network namespace (ps_socket_in_netns).</summary>
public static class NetnsSocket
{
    public static Socket Create(SafeFdHandle pidfd, AddressFamily family, SocketType type, ProtocolType protocol)
    {
        int domain = family switch
        {
            AddressFamily.InterNetwork => 2,
            AddressFamily.InterNetworkV6 => 10,
            _ => throw new ArgumentOutOfRangeException(nameof(family), family, "only IPv4 and IPv6"),
        };
        int sockType = type switch
        {
            SocketType.Stream => 1,
            SocketType.Dgram => 2,
            _ => throw new ArgumentOutOfRangeException(nameof(type), type, "only stream and datagram sockets"),
        };
        int fd = NativeException.ThrowIfNegative(Interop.SocketInNetns(pidfd, domain, sockType, (int)protocol), "ps_socket_in_netns", $"pidfd {pidfd.Fd}");
        return new Socket(new SafeSocketHandle((IntPtr)fd, ownsHandle: true));
    }
}
