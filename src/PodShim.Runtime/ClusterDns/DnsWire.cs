namespace PodShim.Runtime.ClusterDns;

/// <summary>DNS record types the responder knows (RFC 1035, 3596, 2782, 6891).</summary>
public static class DnsType
{
    public const ushort A = 1, NS = 2, CNAME = 5, SOA = 6, PTR = 12, MX = 15, TXT = 16, AAAA = 28, SRV = 33, OPT = 41, ANY = 255;
}

/// <summary>Response codes (RFC 1035 4.1.1; BADVERS is an extended code, RFC 6891).</summary>
public static class DnsRcode
{
    public const int NoError = 0, FormErr = 1, ServFail = 2, NxDomain = 3, NotImp = 4, Refused = 5, BadVers = 16;
}

/// <summary>Header layout and flag bits (RFC 1035 4.1.1).</summary>
public static class DnsHeader
{
    public const int Size = 12;
    public const ushort QR = 0x8000, AA = 0x0400, TC = 0x0200, RD = 0x0100, RA = 0x0080, AD = 0x0020, CD = 0x0010;
    public const ushort OpcodeMask = 0x7800, RcodeMask = 0x000F;
    public const int ClassIN = 1;
    /// <summary>The classic UDP payload limit without EDNS (RFC 1035 4.2.1).</summary>
    public const int UdpLimit = 512;
    /// <summary>The largest UDP payload this responder sends or advertises, whatever a client offers.</summary>
    public const int MaxUdpPayload = 4096;
    /// <summary>A DNS name is at most 255 octets in wire form, root label included (RFC 1035 3.1).</summary>
    public const int MaxNameLength = 255;

    public static ushort ReadUInt16(ReadOnlySpan<byte> b, int offset) => (ushort)((b[offset] << 8) | b[offset + 1]);

    public static void WriteUInt16(Span<byte> b, int offset, ushort value)
    {
        b[offset] = (byte)(value >> 8);
        b[offset + 1] = (byte)value;
    }
}
