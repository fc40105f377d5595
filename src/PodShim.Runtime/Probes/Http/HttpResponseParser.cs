using System.Buffers.Text;
using System.Text;

namespace PodShim.Runtime.Probes.Http;

/// <summary>Why a response head was rejected; the message is built only when it is reported.</summary>
internal enum HeadError
{
    None,
    MalformedResponse,      // status line without a space
    MalformedVersion,       // not HTTP/d.d
    MalformedStatusCode,    // not three digits
    MalformedHeader,        // header line without a valid name and colon
    BadContentLength,
    MultipleContentLength,
    UnsupportedTransferEncoding,
}

/// <summary>What the probe needs from a response head. Offsets are relative to the head's first byte.</summary>
internal struct ResponseHead
{
    public int StatusCode;
    public long ContentLength;      // -1: none
    public bool Chunked;
    public int LocationStart;       // -1: no Location header
    public int LocationLength;
    public int ErrorStart;          // the offending bytes when ParseHead fails
    public int ErrorLength;

    /// <summary>Whether a body follows this head (a response to GET).</summary>
    public readonly bool HasBody => StatusCode >= 200 && StatusCode != 204 && StatusCode != 304;
}

/// <summary>
/// HTTP/1.1 response head parsing over bytes, without allocating: the status line (Go's net/http rules: the
/// protocol up to the first space must be HTTP/d.d, the status code exactly three digits) and the headers the
/// probe needs (Content-Length, Transfer-Encoding, Location). Lines may end in CRLF or a bare LF.
/// </summary>
internal static class HttpResponseParser
{
    /// <summary>The index just past the blank line that ends the head, or -1 when it has not arrived yet.</summary>
    public static int FindHeadEnd(ReadOnlySpan<byte> data)
    {
        int from = 0;
        while (true)
        {
            int nl = data[from..].IndexOf((byte)'\n');
            if (nl < 0) return -1;
            int next = from + nl + 1;
            if (next < data.Length && data[next] == (byte)'\n') return next + 1;
            if (next + 1 < data.Length && data[next] == (byte)'\r' && data[next + 1] == (byte)'\n') return next + 2;
            if (next >= data.Length || (next + 1 == data.Length && data[next] == (byte)'\r')) return -1;
            from = next;
        }
    }

    /// <summary>The first line (status line) without its line ending, or false when it is not complete yet.</summary>
    public static bool TryGetFirstLine(ReadOnlySpan<byte> data, out int length)
    {
        int nl = data.IndexOf((byte)'\n');
        if (nl < 0) { length = 0; return false; }
        length = nl > 0 && data[nl - 1] == (byte)'\r' ? nl - 1 : nl;
        return true;
    }

    /// <summary>Parses a status line (without its line ending).</summary>
    public static HeadError ParseStatusLine(ReadOnlySpan<byte> line, out int statusCode, out int errorStart, out int errorLength)
    {
        statusCode = 0;
        errorStart = 0;
        errorLength = line.Length;
        int sp = line.IndexOf((byte)' ');
        if (sp < 0) return HeadError.MalformedResponse;
        ReadOnlySpan<byte> proto = line[..sp];
        ReadOnlySpan<byte> status = line[(sp + 1)..];
        int sp2 = status.IndexOf((byte)' ');
        ReadOnlySpan<byte> code = sp2 < 0 ? status : status[..sp2];
        if (code.Length != 3 || !IsDigit(code[0]) || !IsDigit(code[1]) || !IsDigit(code[2]))
        {
            errorStart = sp + 1;
            errorLength = code.Length;
            return HeadError.MalformedStatusCode;
        }
        if (!IsHttpVersion(proto))
        {
            errorLength = sp;
            return HeadError.MalformedVersion;
        }
        statusCode = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
        return HeadError.None;
    }

    /// <summary>Parses a complete head (status line, headers, blank line).</summary>
    public static HeadError ParseHead(ReadOnlySpan<byte> head, out ResponseHead result)
    {
        result = default;
        result.ContentLength = -1;
        result.LocationStart = -1;
        TryGetFirstLine(head, out int firstLength);
        HeadError error = ParseStatusLine(head[..firstLength], out result.StatusCode, out result.ErrorStart, out result.ErrorLength);
        if (error != HeadError.None) return error;

        int pos = head.IndexOf((byte)'\n') + 1;
        while (pos < head.Length)
        {
            int nl = head[pos..].IndexOf((byte)'\n');
            int end = nl < 0 ? head.Length : pos + nl;
            int lineEnd = end > pos && head[end - 1] == (byte)'\r' ? end - 1 : end;
            ReadOnlySpan<byte> line = head[pos..lineEnd];
            int lineStart = pos;
            pos = end + 1;
            if (line.IsEmpty) break;
            if (line[0] == (byte)' ' || line[0] == (byte)'\t') continue; // obsolete folding: a continuation line
            int colon = line.IndexOf((byte)':');
            if (colon <= 0 || !IsToken(line[..colon]))
            {
                result.ErrorStart = lineStart;
                result.ErrorLength = line.Length;
                return HeadError.MalformedHeader;
            }
            ReadOnlySpan<byte> name = line[..colon];
            int valueStart = colon + 1;
            ReadOnlySpan<byte> value = Trim(line[valueStart..], out int trimmedLead);
            if (Ascii.EqualsIgnoreCase(name, "Content-Length"u8))
            {
                if (!Utf8Parser.TryParse(value, out long length, out int used) || used != value.Length || length < 0 || !IsDigits(value))
                {
                    result.ErrorStart = lineStart + valueStart + trimmedLead;
                    result.ErrorLength = value.Length;
                    return HeadError.BadContentLength;
                }
                if (result.ContentLength >= 0 && result.ContentLength != length)
                {
                    result.ErrorStart = lineStart + valueStart + trimmedLead;
                    result.ErrorLength = value.Length;
                    return HeadError.MultipleContentLength;
                }
                result.ContentLength = length;
            }
            else if (Ascii.EqualsIgnoreCase(name, "Transfer-Encoding"u8))
            {
                if (!Ascii.EqualsIgnoreCase(value, "chunked"u8))
                {
                    result.ErrorStart = lineStart + valueStart + trimmedLead;
                    result.ErrorLength = value.Length;
                    return HeadError.UnsupportedTransferEncoding;
                }
                result.Chunked = true;
            }
            else if (result.LocationStart < 0 && Ascii.EqualsIgnoreCase(name, "Location"u8))
            {
                result.LocationStart = lineStart + valueStart + trimmedLead;
                result.LocationLength = value.Length;
            }
        }
        if (result.Chunked) result.ContentLength = -1; // Transfer-Encoding wins over Content-Length
        return HeadError.None;
    }

    /// <summary>Go's wording for a rejected head (allocates: failures only).</summary>
    public static string Describe(HeadError error, ReadOnlySpan<byte> offending) => error switch
    {
        HeadError.MalformedResponse => $"net/http: HTTP/1.x transport connection broken: malformed HTTP response {Quote(offending)}",
        HeadError.MalformedVersion => $"net/http: HTTP/1.x transport connection broken: malformed HTTP version {Quote(offending)}",
        HeadError.MalformedStatusCode => $"net/http: HTTP/1.x transport connection broken: malformed HTTP status code {Quote(offending)}",
        HeadError.MalformedHeader => $"net/http: HTTP/1.x transport connection broken: malformed MIME header line: {Encoding.Latin1.GetString(offending)}",
        HeadError.BadContentLength => $"net/http: HTTP/1.x transport connection broken: bad Content-Length {Quote(offending)}",
        HeadError.MultipleContentLength => "net/http: HTTP/1.x transport connection broken: http: message cannot contain multiple Content-Length headers",
        HeadError.UnsupportedTransferEncoding => $"net/http: HTTP/1.x transport connection broken: unsupported transfer encoding: {Quote(offending)}",
        _ => "",
    };

    internal static string Quote(ReadOnlySpan<byte> bytes)
    {
        var sb = new StringBuilder(bytes.Length + 2);
        sb.Append('"');
        foreach (byte b in bytes)
        {
            if (b == '"' || b == '\\') sb.Append('\\').Append((char)b);
            else if (b < 0x20 || b >= 0x7f) sb.Append("\\x").Append(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
            else sb.Append((char)b);
        }
        return sb.Append('"').ToString();
    }

    private static ReadOnlySpan<byte> Trim(ReadOnlySpan<byte> value, out int lead)
    {
        lead = 0;
        while (lead < value.Length && (value[lead] == (byte)' ' || value[lead] == (byte)'\t')) lead++;
        int end = value.Length;
        while (end > lead && (value[end - 1] == (byte)' ' || value[end - 1] == (byte)'\t')) end--;
        return value[lead..end];
    }

    private static bool IsHttpVersion(ReadOnlySpan<byte> proto)
    {
        if (proto.SequenceEqual("HTTP/1.1"u8) || proto.SequenceEqual("HTTP/1.0"u8)) return true;
        if (!proto.StartsWith("HTTP/"u8)) return false;
        ReadOnlySpan<byte> v = proto[5..];
        int dot = v.IndexOf((byte)'.');
        return dot > 0 && dot < v.Length - 1 && dot <= 7 && v.Length - dot - 1 <= 7 && IsDigits(v[..dot]) && IsDigits(v[(dot + 1)..]);
    }

    private static bool IsDigit(byte b) => (uint)(b - '0') <= 9;

    private static bool IsDigits(ReadOnlySpan<byte> s)
    {
        if (s.IsEmpty) return false;
        foreach (byte b in s) if (!IsDigit(b)) return false;
        return true;
    }

    internal static bool IsToken(ReadOnlySpan<byte> s)
    {
        foreach (byte b in s)
        {
            bool ok = (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || IsDigit(b) || "!#$%&'*+-.^_`|~"u8.Contains(b);
            if (!ok) return false;
        }
        return true;
    }
}

internal enum ChunkStatus { NeedMore, Done, Error }

/// <summary>
/// Incremental chunked transfer-coding decoder (any split of the input works): chunk-size lines (hex, optional
/// extensions, CRLF or LF), data followed by CRLF, a last chunk of size 0, trailers up to the blank line. Data is
/// copied into the body buffer up to its capacity; the rest is dropped.
/// </summary>
internal struct ChunkedDecoder
{
    private const int SizeStart = 0, Size = 1, SizeRest = 2, Data = 3, DataCr = 4, DataLf = 5, TrailerStart = 6, Trailer = 7, TrailerCr = 8, Finished = 9;
    private const int MaxLine = 4096;

    private int _state;
    private long _remaining;
    private int _lineLength;
    private bool _sawTrailerText;

    /// <summary>The reason of the last Error, Go's wording.</summary>
    public string? Error { get; private set; }

    public ChunkStatus Decode(ReadOnlySpan<byte> input, Span<byte> body, ref int bodyLength)
    {
        int i = 0;
        while (i < input.Length)
        {
            byte b = input[i];
            switch (_state)
            {
                case SizeStart:
                case Size:
                    {
                        int hex = HexValue(b);
                        if (hex >= 0)
                        {
                            if (_remaining > (long.MaxValue >> 4)) return Fail("http chunk length too large");
                            _remaining = (_remaining << 4) | (uint)hex;
                            _state = Size;
                            _lineLength++;
                            i++;
                            break;
                        }
                        if (_state == SizeStart) return Fail("invalid byte in chunk length");
                        if (b == ';' || b == ' ' || b == '\t' || b == '\r') { _state = SizeRest; break; }
                        if (b == '\n') { i++; EndSizeLine(); break; }
                        return Fail("invalid byte in chunk length");
                    }
                case SizeRest:
                    if (++_lineLength > MaxLine) return Fail("header line too long");
                    i++;
                    if (b == '\n') EndSizeLine();
                    break;
                case Data:
                    {
                        int n = (int)Math.Min(_remaining, input.Length - i);
                        int room = body.Length - bodyLength;
                        if (room > 0)
                        {
                            int copy = Math.Min(room, n);
                            input.Slice(i, copy).CopyTo(body[bodyLength..]);
                            bodyLength += copy;
                        }
                        i += n;
                        _remaining -= n;
                        if (_remaining == 0) _state = DataCr;
                        break;
                    }
                case DataCr:
                    if (b != '\r') return Fail("malformed chunked encoding");
                    _state = DataLf;
                    i++;
                    break;
                case DataLf:
                    if (b != '\n') return Fail("malformed chunked encoding");
                    _state = SizeStart;
                    _lineLength = 0;
                    i++;
                    break;
                case TrailerStart:
                case Trailer:
                    i++;
                    if (b == '\n')
                    {
                        if (!_sawTrailerText) { _state = Finished; return ChunkStatus.Done; }
                        _sawTrailerText = false;
                        _lineLength = 0;
                        _state = TrailerStart;
                    }
                    else if (b == '\r' && !_sawTrailerText) _state = TrailerCr;
                    else
                    {
                        _sawTrailerText = true;
                        _state = Trailer;
                        if (++_lineLength > MaxLine) return Fail("header line too long");
                    }
                    break;
                case TrailerCr:
                    if (b != '\n') return Fail("malformed chunked encoding");
                    _state = Finished;
                    return ChunkStatus.Done;
                default:
                    return ChunkStatus.Done;
            }
        }
        return _state == Finished ? ChunkStatus.Done : ChunkStatus.NeedMore;
    }

    private void EndSizeLine()
    {
        _lineLength = 0;
        _state = _remaining == 0 ? TrailerStart : Data;
    }

    private ChunkStatus Fail(string reason)
    {
        Error = reason;
        return ChunkStatus.Error;
    }

    private static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };
}
