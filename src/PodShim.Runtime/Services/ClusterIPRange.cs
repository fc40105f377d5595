using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace PodShim.Runtime.Services;

/// <summary>
/// The Service CIDR, 10.96.0.0/12 (kubeadm's default). As in the API server's ipallocator, the network
/// and broadcast addresses are never handed out, and dynamic allocation picks at random from the upper
/// band, leaving the lower 256 addresses (ServiceIPStaticSubrange) to Services that ask for a fixed IP.
/// 10.96.0.1 (the <c>kubernetes</c> Service) and 10.96.0.10 (the cluster DNS address, where each pod's
/// resolver listens) count as taken.
/// </summary>
public static class ClusterIPRange
{
    public const string Cidr = "10.96.0.0/12";
    public const uint Network = 0x0A600000; // 10.96.0.0
    public const int PrefixLength = 12;
    public const uint Size = 1u << (32 - PrefixLength);
    public const uint KubernetesServiceAddress = Network + 1;
    public const uint DnsServiceAddress = Network + 10;

    /// <summary>min(max(16, size/16), 256): the static band's size in the API server.</summary>
    public const uint StaticBandSize = 256;

    /// <summary>The cluster DNS address (10.96.0.10) as text.</summary>
    public static string DnsServiceIP => Format(DnsServiceAddress);

    public static bool IsAllocatable(uint ip) => ip > Network && ip < Network + Size - 1;

    /// <remarks>From the number, not by parsing text: IPAddress's parser is generic code ReadyToRun leaves to the JIT,
    /// and every pod's start builds this address.</remarks>
    public static IPAddress ToAddress(uint ip)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, ip);
        return new IPAddress(bytes);
    }

    public static uint ToUInt32(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[4];
        if (address.AddressFamily != AddressFamily.InterNetwork || !address.TryWriteBytes(bytes, out _))
            throw new ArgumentException($"not an IPv4 address: {address}", nameof(address));
        return BinaryPrimitives.ReadUInt32BigEndian(bytes);
    }

    public static bool TryParse(string text, out uint ip)
    {
        ip = 0;
        if (!IPAddress.TryParse(text, out var address) || address.AddressFamily != AddressFamily.InterNetwork)
            return false;
        ip = ToUInt32(address);
        return true;
    }

    public static string Format(uint ip) => string.Create(CultureInfo.InvariantCulture,
        $"{ip >> 24}.{(ip >> 16) & 0xFF}.{(ip >> 8) & 0xFF}.{ip & 0xFF}");

    /// <summary>A free address from the upper band (the static band when the upper one is full).</summary>
    public static uint AllocateDynamic(IReadOnlySet<uint> used, Random random)
    {
        uint first = Network + StaticBandSize, last = Network + Size - 2;
        // Random probes first: the range has a million addresses and a host has a handful of Services.
        for (int i = 0; i < 64; i++)
        {
            uint candidate = first + (uint)random.NextInt64(last - first + 1);
            if (!used.Contains(candidate))
                return candidate;
        }
        for (uint candidate = first; candidate <= last; candidate++)
            if (!used.Contains(candidate))
                return candidate;
        for (uint candidate = Network + 1; candidate < first; candidate++)
            if (!used.Contains(candidate))
                return candidate;
        throw new InvalidOperationException($"failed to allocate a serviceIP: range is full ({Cidr})");
    }
}
