using System.Buffers.Binary;

namespace PodShim.Runtime.ClusterDns;

/// <summary>
/// Writes a response into a caller's buffer: header, the echoed question, answer and authority records
/// with name compression (RFC 1035 4.1.4), and an OPT record when the query had one. A record that
/// would pass <c>limit</c> (512 or the EDNS size over UDP; 65535 over TCP) truncates the response: it
/// keeps the header and question (and OPT), drops every record and sets TC, so the client retries
/// over TCP and gets it whole.
/// </summary>
public ref struct DnsResponseBuilder
{
    private const int MaxCompressionEntries = 32;
    private readonly Span<byte> _buffer;
    private readonly int _limit;
    private readonly Span<ushort> _compression;
    private int _compressionCount;
    private int _length;
    private int _questionEnd;
    private int _questionCompressionCount;
    private ushort _answers, _authorities;
    private bool _truncated;
    private ushort _flags;
    private int _rcode;
    private bool _edns;

    /// <param name="buffer">At least <paramref name="limit"/> bytes (more is fine).</param>
    /// <param name="compressionTable">Scratch space for name offsets, e.g. <c>stackalloc ushort[32]</c>.</param>
    public DnsResponseBuilder(Span<byte> buffer, int limit, Span<ushort> compressionTable)
    {
        _buffer = buffer;
        _limit = Math.Min(limit, buffer.Length);
        _compression = compressionTable;
        _compressionCount = 0;
        _length = 0;
        _questionEnd = 0;
        _questionCompressionCount = 0;
        _answers = _authorities = 0;
        _truncated = false;
        _flags = 0;
        _rcode = 0;
        _edns = false;
    }

    public readonly bool Truncated => _truncated;
    public readonly int Length => _length;

    /// <summary>
    /// Starts the response to <paramref name="query"/>: same id, QR, the query's RD and CD,
    /// RA (this responder recurses through its upstreams), AA when <paramref name="authoritative"/>.
    /// </summary>
    public void Begin(scoped in DnsQuery query, int rcode, bool authoritative)
    {
        _flags = (ushort)(DnsHeader.QR | DnsHeader.RA | (query.Flags & (DnsHeader.RD | DnsHeader.CD)) | (authoritative ? DnsHeader.AA : 0));
        _rcode = rcode;
        _edns = query.HasEdns;
        DnsHeader.WriteUInt16(_buffer, 0, query.Id);
        _buffer[4..DnsHeader.Size].Clear();
        _length = DnsHeader.Size;
        if (query.Name.Length > 0)
        {
            DnsHeader.WriteUInt16(_buffer, 4, 1);
            if (!TryWriteName(query.Name) || !TryWriteUInt16(query.Type) || !TryWriteUInt16(query.Class))
            {
                // The question alone does not fit (a pathological limit): answer the header only.
                _length = DnsHeader.Size;
                _compressionCount = 0;
                DnsHeader.WriteUInt16(_buffer, 4, 0);
                _truncated = true;
            }
        }
        _questionEnd = _length;
        _questionCompressionCount = _compressionCount;
    }

    /// <summary>Starts a response for a message whose question could not be read (FORMERR, NOTIMP): header only.</summary>
    public void BeginWithoutQuestion(ushort id, ushort queryFlags, int rcode)
    {
        _flags = (ushort)(DnsHeader.QR | DnsHeader.RA | (queryFlags & (DnsHeader.OpcodeMask | DnsHeader.RD | DnsHeader.CD)));
        _rcode = rcode;
        DnsHeader.WriteUInt16(_buffer, 0, id);
        _buffer[4..DnsHeader.Size].Clear();
        _length = _questionEnd = DnsHeader.Size;
    }

    public void AddA(scoped ReadOnlySpan<byte> name, uint ttl, scoped ReadOnlySpan<byte> ipv4) =>
        AddRecord(name, DnsType.A, ttl, ipv4, null, authority: false);

    public void AddCname(scoped ReadOnlySpan<byte> name, uint ttl, scoped ReadOnlySpan<byte> target) =>
        AddRecord(name, DnsType.CNAME, ttl, default, target, authority: false);

    public void AddPtr(scoped ReadOnlySpan<byte> name, uint ttl, scoped ReadOnlySpan<byte> target) =>
        AddRecord(name, DnsType.PTR, ttl, default, target, authority: false);

    /// <summary>The zone's SOA in the authority section, for negative answers (RFC 2308).</summary>
    public void AddSoa(scoped ReadOnlySpan<byte> zone, uint ttl, scoped ReadOnlySpan<byte> mname, scoped ReadOnlySpan<byte> rname,
        uint serial, uint refresh, uint retry, uint expire, uint minimum)
    {
        if (_truncated)
            return;
        if (TryWriteName(zone) && TryWriteUInt16(DnsType.SOA) && TryWriteUInt16(DnsHeader.ClassIN) && TryWriteUInt32(ttl)
            && TryReserve(2, out int rdLengthAt))
        {
            int rdStart = _length;
            if (TryWriteName(mname) && TryWriteName(rname) && TryWriteUInt32(serial) && TryWriteUInt32(refresh)
                && TryWriteUInt32(retry) && TryWriteUInt32(expire) && TryWriteUInt32(minimum))
            {
                DnsHeader.WriteUInt16(_buffer, rdLengthAt, (ushort)(_length - rdStart));
                _authorities++;
                return;
            }
        }
        Overflow();
    }

    private void AddRecord(scoped ReadOnlySpan<byte> name, ushort type, uint ttl, scoped ReadOnlySpan<byte> rdata, scoped ReadOnlySpan<byte> rdataName, bool authority)
    {
        if (_truncated)
            return;
        if (TryWriteName(name) && TryWriteUInt16(type) && TryWriteUInt16(DnsHeader.ClassIN) && TryWriteUInt32(ttl)
            && TryReserve(2, out int rdLengthAt))
        {
            int rdStart = _length;
            bool ok = rdataName.IsEmpty ? TryWriteBytes(rdata) : TryWriteName(rdataName);
            if (ok)
            {
                DnsHeader.WriteUInt16(_buffer, rdLengthAt, (ushort)(_length - rdStart));
                if (authority)
                    _authorities++;
                else
                    _answers++;
                return;
            }
        }
        Overflow();
    }

    /// <summary>A record did not fit: everything after the question goes and TC is set.</summary>
    private void Overflow()
    {
        _truncated = true;
        _length = _questionEnd;
        _compressionCount = _questionCompressionCount;
        _answers = _authorities = 0;
    }

    /// <summary>Writes the counts, the OPT record (when the query had EDNS) and the flags; returns the length.</summary>
    public int Finish()
    {
        int extended = _rcode >> 4;
        ushort additional = 0;
        if (_edns)
        {
            // OPT: root name, type 41, class = our UDP size, TTL = extended rcode | version 0 | flags.
            if (_length + 11 <= _limit)
            {
                _buffer[_length] = 0;
                DnsHeader.WriteUInt16(_buffer, _length + 1, DnsType.OPT);
                DnsHeader.WriteUInt16(_buffer, _length + 3, DnsHeader.MaxUdpPayload);
                _buffer[_length + 5] = (byte)extended;
                _buffer[_length + 6] = 0;
                DnsHeader.WriteUInt16(_buffer, _length + 7, 0);
                DnsHeader.WriteUInt16(_buffer, _length + 9, 0);
                _length += 11;
                additional = 1;
            }
        }
        ushort flags = (ushort)(_flags | (_rcode & DnsHeader.RcodeMask) | (_truncated ? DnsHeader.TC : 0));
        DnsHeader.WriteUInt16(_buffer, 2, flags);
        DnsHeader.WriteUInt16(_buffer, 6, _answers);
        DnsHeader.WriteUInt16(_buffer, 8, _authorities);
        DnsHeader.WriteUInt16(_buffer, 10, additional);
        return _length;
    }

    // ---- low-level writers: false when the limit would be passed ----

    private bool TryReserve(int count, out int at)
    {
        at = _length;
        if (_length + count > _limit)
            return false;
        _length += count;
        return true;
    }

    private bool TryWriteUInt16(ushort value)
    {
        if (!TryReserve(2, out int at))
            return false;
        DnsHeader.WriteUInt16(_buffer, at, value);
        return true;
    }

    private bool TryWriteUInt32(uint value)
    {
        if (!TryReserve(4, out int at))
            return false;
        BinaryPrimitives.WriteUInt32BigEndian(_buffer[at..], value);
        return true;
    }

    private bool TryWriteBytes(scoped ReadOnlySpan<byte> bytes)
    {
        if (!TryReserve(bytes.Length, out int at))
            return false;
        bytes.CopyTo(_buffer[at..]);
        return true;
    }

    /// <summary>
    /// Writes an uncompressed wire name, replacing its longest suffix already in the message with a
    /// pointer, and remembers where its own labels start for later names.
    /// </summary>
    private bool TryWriteName(scoped ReadOnlySpan<byte> name)
    {
        int pos = 0;
        while (pos < name.Length && name[pos] != 0)
        {
            int pointer = FindSuffix(name[pos..]);
            if (pointer >= 0)
            {
                if (!TryReserve(2, out int at))
                    return false;
                DnsHeader.WriteUInt16(_buffer, at, (ushort)(0xC000 | pointer));
                return true;
            }
            int labelLength = 1 + name[pos];
            if (!TryReserve(labelLength, out int labelAt))
                return false;
            name.Slice(pos, labelLength).CopyTo(_buffer[labelAt..]);
            if (labelAt < 0x4000 && _compressionCount < Math.Min(_compression.Length, MaxCompressionEntries))
                _compression[_compressionCount++] = (ushort)labelAt;
            pos += labelLength;
        }
        return TryWriteBytes([0]);
    }

    /// <summary>The offset of a name already written that equals <paramref name="suffix"/>, or -1.</summary>
    private readonly int FindSuffix(scoped ReadOnlySpan<byte> suffix)
    {
        Span<byte> candidate = stackalloc byte[DnsHeader.MaxNameLength];
        ReadOnlySpan<byte> written = _buffer[.._length];
        for (int i = 0; i < _compressionCount; i++)
        {
            int offset = _compression[i];
            // Quick reject on the first label's length before decoding.
            if (written[offset] != suffix[0])
                continue;
            if (DnsName.TryRead(written, offset, candidate, out int length, out _)
                && DnsName.EqualsIgnoreCase(candidate[..length], suffix))
                return offset;
        }
        return -1;
    }
}
