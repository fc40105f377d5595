using System.Net.Sockets;

namespace PodShim.Interop;

/// <summary>Raw TCP socket descriptors in the calling thread's own network namespace (socket(2)): the host-side
/// counterpart of <see cref="NetnsSocket.OpenStream"/>, for probing host addresses (tests, benchmarks).</summary>
public static class HostSocket
{
    /// <summary>A new close-on-exec TCP socket for the family; the caller owns the descriptor and closes it
    /// (<see cref="Posix.Close"/>). Throws <see cref="NativeException"/> naming the call when none can be made.</summary>
    public static int OpenStream(AddressFamily family) =>
        NativeException.ThrowIfMinusOne(Interop.Socket(Domain(family), Interop.SOCK_STREAM | Interop.SOCK_CLOEXEC, 0),
            "socket", family == AddressFamily.InterNetwork ? "AF_INET, SOCK_STREAM" : "AF_INET6, SOCK_STREAM");

    /// <summary>The socket(2) domain of an address family: AF_INET or AF_INET6.</summary>
    internal static int Domain(AddressFamily family) => family switch
    {
        AddressFamily.InterNetwork => Interop.AF_INET,
        AddressFamily.InterNetworkV6 => Interop.AF_INET6,
        _ => throw new ArgumentOutOfRangeException(nameof(family), family, "only IPv4 and IPv6"),
    };
}
