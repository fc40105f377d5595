namespace PodShim.Runtime.ClusterDns;

/// <summary>How a received message is to be handled.</summary>
public enum DnsParseStatus
{
    /// <summary>A well-formed standard query with one question.</summary>
    Ok,
    /// <summary>Not worth an answer: shorter than a header, or a response (QR set).</summary>
    Drop,
    /// <summary>The header is readable but the rest is not: answer FORMERR.</summary>
    FormErr,
    /// <summary>An opcode other than QUERY: answer NOTIMP.</summary>
    NotImp,
    /// <summary>An EDNS version this responder does not speak (> 0): answer BADVERS.</summary>
    BadVers,
}

/// <summary>
/// A parsed query: header fields, its one question (the name uncompressed, in the caller's buffer, case kept),
/// and the EDNS0 OPT record when there is one. Answer and authority sections are skipped; unknown
/// additional records are tolerated.
/// </summary>
public ref struct DnsQuery
{
    public ushort Id;
    public ushort Flags;
    public Span<byte> Name;
    public ushort Type;
    public ushort Class;
    public bool HasEdns;
    public ushort EdnsUdpSize;
    public byte EdnsVersion;
    public bool DnssecOk;
    /// <summary>Where the question section ends in the message.</summary>
    public int QuestionEnd;

    public readonly bool RecursionDesired => (Flags & DnsHeader.RD) != 0;
    public readonly int Opcode => (Flags & DnsHeader.OpcodeMask) >> 11;
    public readonly bool CheckingDisabled => (Flags & DnsHeader.CD) != 0;

    /// <summary>The payload limit for a UDP answer: 512 without EDNS, else the client's size within [512, 4096].</summary>
    public readonly int UdpPayloadLimit => HasEdns ? Math.Clamp((int)EdnsUdpSize, DnsHeader.UdpLimit, DnsHeader.MaxUdpPayload) : DnsHeader.UdpLimit;

    /// <summary>
    /// Parses <paramref name="message"/>. <paramref name="nameBuffer"/> (≥ 255 bytes) receives the question name.
    /// Never throws: every malformation maps to a status.
    /// </summary>
    public static DnsParseStatus Parse(ReadOnlySpan<byte> message, Span<byte> nameBuffer, out DnsQuery query)
    {
        query = default;
        if (message.Length < DnsHeader.Size)
            return DnsParseStatus.Drop;
        query.Id = DnsHeader.ReadUInt16(message, 0);
        query.Flags = DnsHeader.ReadUInt16(message, 2);
        if ((query.Flags & DnsHeader.QR) != 0)
            return DnsParseStatus.Drop;
        if (query.Opcode != 0)
            return DnsParseStatus.NotImp;
        int qd = DnsHeader.ReadUInt16(message, 4), an = DnsHeader.ReadUInt16(message, 6);
        int ns = DnsHeader.ReadUInt16(message, 8), ar = DnsHeader.ReadUInt16(message, 10);
        if (qd != 1)
            return DnsParseStatus.FormErr;
        if (!DnsName.TryRead(message, DnsHeader.Size, nameBuffer, out int nameLength, out int pos))
            return DnsParseStatus.FormErr;
        if (pos + 4 > message.Length)
            return DnsParseStatus.FormErr;
        query.Name = nameBuffer[..nameLength];
        query.Type = DnsHeader.ReadUInt16(message, pos);
        query.Class = DnsHeader.ReadUInt16(message, pos + 2);
        pos += 4;
        query.QuestionEnd = pos;

        for (int i = 0; i < an + ns; i++)
        {
            pos = SkipRecord(message, pos, out _, out _, out _);
            if (pos < 0)
                return DnsParseStatus.FormErr;
        }
        for (int i = 0; i < ar; i++)
        {
            int start = pos;
            pos = SkipRecord(message, pos, out ushort type, out ushort cls, out uint ttl);
            if (pos < 0)
                return DnsParseStatus.FormErr;
            if (type != DnsType.OPT)
                continue;
            // RFC 6891 6.1.1: one OPT, owned by the root.
            if (query.HasEdns || message[start] != 0)
                return DnsParseStatus.FormErr;
            query.HasEdns = true;
            query.EdnsUdpSize = cls;
            query.EdnsVersion = (byte)(ttl >> 16);
            query.DnssecOk = (ttl & 0x8000) != 0;
        }
        if (query.HasEdns && query.EdnsVersion != 0)
            return DnsParseStatus.BadVers;
        return DnsParseStatus.Ok;
    }

    /// <summary>Skips one resource record; returns the offset after it or -1.</summary>
    private static int SkipRecord(ReadOnlySpan<byte> message, int pos, out ushort type, out ushort cls, out uint ttl)
    {
        type = cls = 0;
        ttl = 0;
        pos = DnsName.Skip(message, pos);
        if (pos < 0 || pos + 10 > message.Length)
            return -1;
        type = DnsHeader.ReadUInt16(message, pos);
        cls = DnsHeader.ReadUInt16(message, pos + 2);
        ttl = (uint)(DnsHeader.ReadUInt16(message, pos + 4) << 16 | DnsHeader.ReadUInt16(message, pos + 6));
        int rdLength = DnsHeader.ReadUInt16(message, pos + 8);
        pos += 10 + rdLength;
        return pos <= message.Length ? pos : -1;
    }
}
