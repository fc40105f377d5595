namespace PodShim.Runtime.ClusterDns;

/// <summary>What to do with a received message.</summary>
public enum DnsHandling
{
    /// <summary>The response is in the buffer.</summary>
    Reply,
    /// <summary>Nothing to send (not a query, or too short to answer).</summary>
    Drop,
    /// <summary>Not a cluster name: forward the message upstream.</summary>
    Forward,
}

/// <summary>
/// The transport-independent core of the responder: parse, answer from the cluster zone or decide to
/// forward, build error answers (FORMERR, NOTIMP, BADVERS, SERVFAIL). It never throws on input.
/// </summary>
public sealed class DnsRequestHandler
{
    /// <summary>The largest message over TCP (its length prefix is 16 bits).</summary>
    public const int TcpLimit = 65535;
    private readonly ClusterDnsResolver _resolver;

    public DnsRequestHandler(ClusterDnsResolver resolver) => _resolver = resolver;

    /// <summary>
    /// Handles one message. Over UDP the response is limited to 512 bytes, or to the client's EDNS size;
    /// over TCP to 65535. <paramref name="response"/> must hold that much (4096 for UDP, 65535 for TCP).
    /// </summary>
    public DnsHandling Handle(ReadOnlySpan<byte> request, Span<byte> response, bool tcp, out int length)
    {
        length = 0;
        Span<byte> nameBuffer = stackalloc byte[DnsHeader.MaxNameLength];
        Span<ushort> compression = stackalloc ushort[32];
        DnsParseStatus status = DnsQuery.Parse(request, nameBuffer, out DnsQuery query);
        switch (status)
        {
            case DnsParseStatus.Drop:
                return DnsHandling.Drop;
            case DnsParseStatus.FormErr:
            case DnsParseStatus.NotImp:
            {
                var error = new DnsResponseBuilder(response, DnsHeader.UdpLimit, compression);
                error.BeginWithoutQuestion(query.Id, query.Flags, status == DnsParseStatus.FormErr ? DnsRcode.FormErr : DnsRcode.NotImp);
                length = error.Finish();
                return DnsHandling.Reply;
            }
            case DnsParseStatus.BadVers:
            {
                var error = new DnsResponseBuilder(response, DnsHeader.UdpLimit, compression);
                error.Begin(query, DnsRcode.BadVers, authoritative: false);
                length = error.Finish();
                return DnsHandling.Reply;
            }
        }
        int limit = tcp ? TcpLimit : query.UdpPayloadLimit;
        var builder = new DnsResponseBuilder(response, limit, compression);
        if (!_resolver.TryAnswer(query, ref builder))
            return DnsHandling.Forward;
        length = builder.Finish();
        return DnsHandling.Reply;
    }

    /// <summary>SERVFAIL for a query that could not be forwarded (no upstream, or none answered in time).</summary>
    public static int ServerFailure(ReadOnlySpan<byte> request, Span<byte> response)
    {
        Span<byte> nameBuffer = stackalloc byte[DnsHeader.MaxNameLength];
        Span<ushort> compression = stackalloc ushort[32];
        if (DnsQuery.Parse(request, nameBuffer, out DnsQuery query) != DnsParseStatus.Ok)
            return 0;
        var builder = new DnsResponseBuilder(response, query.UdpPayloadLimit, compression);
        builder.Begin(query, DnsRcode.ServFail, authoritative: false);
        return builder.Finish();
    }

    /// <summary>
    /// Fits a forwarded reply to a UDP client's limit: a reply that is too long keeps its header and
    /// question, loses its records, and gets TC so the client asks again over TCP. Returns the new length.
    /// </summary>
    public static int TruncateForUdp(Span<byte> reply, int length, int limit)
    {
        if (length <= limit)
            return length;
        int end = DnsHeader.Size;
        if (DnsHeader.ReadUInt16(reply, 4) >= 1)
        {
            end = DnsName.Skip(reply[..length], DnsHeader.Size);
            end = end < 0 || end + 4 > limit ? DnsHeader.Size : end + 4;
        }
        if (end == DnsHeader.Size)
            DnsHeader.WriteUInt16(reply, 4, 0);
        else
            DnsHeader.WriteUInt16(reply, 4, 1);
        reply[2] |= (byte)(DnsHeader.TC >> 8);
        DnsHeader.WriteUInt16(reply, 6, 0);
        DnsHeader.WriteUInt16(reply, 8, 0);
        DnsHeader.WriteUInt16(reply, 10, 0);
        return end;
    }

    /// <summary>The UDP limit a query asks for (512 without EDNS); 512 when it cannot be parsed.</summary>
    public static int UdpLimitOf(ReadOnlySpan<byte> request)
    {
        Span<byte> nameBuffer = stackalloc byte[DnsHeader.MaxNameLength];
        return DnsQuery.Parse(request, nameBuffer, out DnsQuery query) == DnsParseStatus.Ok ? query.UdpPayloadLimit : DnsHeader.UdpLimit;
    }
}
