using System.Buffers.Binary;

namespace PodShim.Interop;

/// <summary>
/// Adds an IPv4 address to the loopback device of a pod's network namespace, with an rtnetlink
/// socket made inside that namespace (ps_socket_in_netns): the host's network is never touched.
/// The pod's cluster DNS resolver listens on such an address (10.96.0.10/32 on the pod's lo).
/// </summary>
public static class NetnsAddress
{
    private const int AF_INET = 2, AF_NETLINK = 16, SOCK_RAW = 3, NETLINK_ROUTE = 0;
    private const ushort RTM_NEWADDR = 20, NLMSG_ERROR = 2;
    private const ushort NLM_F_REQUEST = 0x1, NLM_F_ACK = 0x4, NLM_F_EXCL = 0x200, NLM_F_CREATE = 0x400;
    private const ushort IFA_ADDRESS = 1, IFA_LOCAL = 2;
    /// <summary>lo is the first device of every network namespace.</summary>
    private const int LoopbackIndex = 1;

    /// <summary>
    /// `ip addr add <paramref name="address"/>/<paramref name="prefixLength"/> dev lo` in the namespace of
    /// <paramref name="pidfd"/>'s process. An address already there is not an error.
    /// </summary>
    public static void AddToLoopback(SafeFdHandle pidfd, ReadOnlySpan<byte> address, int prefixLength)
    {
        if (address.Length != 4)
            throw new ArgumentException("an IPv4 address (4 bytes)", nameof(address));
        string target = $"{address[0]}.{address[1]}.{address[2]}.{address[3]}/{prefixLength} dev lo";
        int raw = NativeException.ThrowIfNegative(Interop.SocketInNetns(pidfd, AF_NETLINK, SOCK_RAW, NETLINK_ROUTE),
            "ps_socket_in_netns", $"pidfd {pidfd.Fd}, AF_NETLINK");
        using var socket = new SafeFdHandle(raw);

        Span<byte> request = stackalloc byte[40];
        WriteRequest(request, address, prefixLength, sequence: 1);
        // An unconnected netlink socket sends to the kernel (port id 0).
        Posix.WriteAll(socket, request, $"netlink RTM_NEWADDR {target}");

        Span<byte> reply = stackalloc byte[1024];
        int n = Posix.Read(socket, reply);
        int error = ParseAck(reply[..n], sequence: 1);
        if (error != 0 && error != Errno.EEXIST)
            throw new NativeException("RTM_NEWADDR", target, error);
    }

    /// <summary>nlmsghdr + ifaddrmsg + IFA_LOCAL + IFA_ADDRESS, in host byte order (the address in network order).</summary>
    internal static void WriteRequest(Span<byte> b, ReadOnlySpan<byte> address, int prefixLength, uint sequence)
    {
        b.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(b, (uint)b.Length);             // nlmsg_len
        BinaryPrimitives.WriteUInt16LittleEndian(b[4..], RTM_NEWADDR);            // nlmsg_type
        BinaryPrimitives.WriteUInt16LittleEndian(b[6..], NLM_F_REQUEST | NLM_F_ACK | NLM_F_EXCL | NLM_F_CREATE);
        BinaryPrimitives.WriteUInt32LittleEndian(b[8..], sequence);               // nlmsg_seq; nlmsg_pid 0
        b[16] = AF_INET;                                                          // ifa_family
        b[17] = (byte)prefixLength;                                               // ifa_prefixlen; flags 0, scope universe
        BinaryPrimitives.WriteInt32LittleEndian(b[20..], LoopbackIndex);          // ifa_index
        WriteAttribute(b[24..], IFA_LOCAL, address);
        WriteAttribute(b[32..], IFA_ADDRESS, address);
    }

    private static void WriteAttribute(Span<byte> b, ushort type, ReadOnlySpan<byte> value)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(b, (ushort)(4 + value.Length));
        BinaryPrimitives.WriteUInt16LittleEndian(b[2..], type);
        value.CopyTo(b[4..]);
    }

    /// <summary>The errno of the kernel's NLMSG_ERROR acknowledgement (0: success).</summary>
    internal static int ParseAck(ReadOnlySpan<byte> reply, uint sequence)
    {
        if (reply.Length < 20 || BinaryPrimitives.ReadUInt16LittleEndian(reply[4..]) != NLMSG_ERROR
            || BinaryPrimitives.ReadUInt32LittleEndian(reply[8..]) != sequence)
            return Errno.EPROTO;
        return -BinaryPrimitives.ReadInt32LittleEndian(reply[16..]);
    }
}
