using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;

namespace PodShim.Runtime.Probes;

/// <summary>A grpc probe as the kubelet runs it: grpc.health.v1.Health/Check over plaintext HTTP/2 (h2c with prior
/// knowledge) to host:port, with the probe's <c>service</c> in the request; only SERVING is success. Every other
/// result is a failure with kubelet's message: "service unhealthy (responded with \"NOT_SERVING\")",
/// "timeout: failed to connect service \"10.0.0.5:9000\" within 1s: context deadline exceeded",
/// "timeout: health rpc did not complete within 1s", "error: this server does not implement the grpc health
/// protocol (grpc.health.v1.Health): …", "error: health rpc probe failed: rpc error: code = … desc = …".</summary>
/// <remarks>Each probe opens its own connection (through the socket factory: in the pod, ps_socket_in_netns) and
/// closes it, as the kubelet dials per probe. One deliberate difference: grpc-go's blocking dial retries a
/// refused connection until the deadline and then reports the connect timeout; here a refused connection fails at
/// once with "error: failed to connect service at \"host:port\": dial tcp …: connect: connection refused", which
/// keeps the probe worker free (the outcome, Failure, is the same).</remarks>
public sealed class GrpcProber
{
    internal const string UserAgent = "kube-probe/1.34";
    private const string Path = "/grpc.health.v1.Health/Check";

    private readonly string _host;
    private readonly int _port;
    private readonly string _service;
    private readonly ProbeSocketFactory _socketFactory;
    private readonly string _addr;     // host:port as Go's net.JoinHostPort writes it
    private readonly Uri _uri;
    private readonly byte[] _requestFrame;

    public GrpcProber(string host, int port, string? service, ProbeSocketFactory socketFactory)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(socketFactory);
        if (port is < 1 or > 65535)
            throw new ArgumentOutOfRangeException(nameof(port), port, "a TCP port is 1-65535");
        _host = host.Trim('[', ']');
        _port = port;
        _service = service ?? "";
        _socketFactory = socketFactory;
        _addr = TcpProber.JoinHostPort(_host, port);
        _uri = new Uri($"http://{_addr}{Path}");
        _requestFrame = GrpcHealthWire.Frame(GrpcHealthWire.EncodeRequest(_service));
    }

    public ProbeResult Probe(TimeSpan timeout) => ProbeAsync(_uri, timeout).GetAwaiter().GetResult();

    /// <summary>For tests: the same call to another method path (a server without the health service).</summary>
    internal ProbeResult ProbePath(string path, TimeSpan timeout) => ProbeAsync(new Uri(_uri, path), timeout).GetAwaiter().GetResult();

    private async Task<ProbeResult> ProbeAsync(Uri uri, TimeSpan timeout)
    {
        string within = GoDuration(timeout);
        using var cts = new CancellationTokenSource(timeout);
        var connect = new ConnectState();
        using var handler = new SocketsHttpHandler
        {
            ConnectCallback = (context, token) => ConnectAsync(connect, token),
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
        };
        using var client = new HttpClient(handler, disposeHandler: false) { Timeout = Timeout.InfiniteTimeSpan };
        using var request = new HttpRequestMessage(HttpMethod.Post, uri)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(_requestFrame),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        request.Headers.TryAddWithoutValidation("te", "trailers");
        request.Headers.TryAddWithoutValidation("user-agent", UserAgent);

        try
        {
            using HttpResponseMessage response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token).ConfigureAwait(false);
            byte[]? body = await ReadBodyAsync(response.Content, cts.Token).ConfigureAwait(false);
            if (body is null)
                return RpcError(GrpcStatusCode.ResourceExhausted, $"grpc: received message larger than max ({GrpcHealthWire.MaxMessage} bytes)", within);
            return Evaluate(response, body, within);
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException || (cts.IsCancellationRequested && e is HttpRequestException or IOException))
        {
            return connect.Connected
                ? Fail($"timeout: health rpc did not complete within {within}")
                : Fail($"timeout: failed to connect service \"{_addr}\" within {within}: context deadline exceeded");
        }
        catch (HttpRequestException e) when (!connect.Connected)
        {
            string why = connect.Error ?? Innermost(e);
            return connect.FactoryFailed
                ? new ProbeResult(ProbeOutcome.Error, $"error: failed to connect service at \"{_addr}\": {why}")
                : Fail($"error: failed to connect service at \"{_addr}\": {why}");
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            return Fail($"error: health rpc probe failed: rpc error: code = Unavailable desc = {Innermost(e)}");
        }
    }

    /// <summary>The response body, or null past one maximal message (grpc-go's default receive limit, 4 MiB).</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpContent content, CancellationToken token)
    {
        const int Limit = GrpcHealthWire.MaxMessage + 5;
        using Stream stream = await content.ReadAsStreamAsync(token).ConfigureAwait(false);
        var body = new MemoryStream();
        byte[] buffer = new byte[16 * 1024];
        int n;
        while ((n = await stream.ReadAsync(buffer, token).ConfigureAwait(false)) > 0)
        {
            if (body.Length + n > Limit)
                return null;
            body.Write(buffer, 0, n);
        }
        return body.ToArray();
    }

    private static ProbeResult Fail(string message) => new(ProbeOutcome.Failure, message);

    private ProbeResult Evaluate(HttpResponseMessage response, byte[] body, string within)
    {
        if (response.StatusCode != HttpStatusCode.OK)
        {
            int http = (int)response.StatusCode;
            return RpcError(GrpcHealthWire.CodeFromHttpStatus(http),
                $"unexpected HTTP status code received from server: {http} ({response.ReasonPhrase ?? response.StatusCode.ToString()})", within);
        }
        string? contentType = response.Content.Headers.ContentType?.MediaType;
        if (contentType is null || !contentType.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase))
            return RpcError(GrpcStatusCode.Unknown, $"unexpected HTTP status code received from server: 200 (OK); malformed header: missing HTTP content-type", within);

        // grpc-status: in the trailers, or in the headers of a trailers-only response.
        string? status = Header(response.TrailingHeaders, "grpc-status") ?? Header(response.Headers, "grpc-status");
        string message = Uri.UnescapeDataString(Header(response.TrailingHeaders, "grpc-message") ?? Header(response.Headers, "grpc-message") ?? "");
        if (status is null)
            return RpcError(GrpcStatusCode.Internal, "server closed the stream without sending trailers", within);
        if (!int.TryParse(status, NumberStyles.None, CultureInfo.InvariantCulture, out int code))
            return RpcError(GrpcStatusCode.Unknown, $"transport: malformed grpc-status: {status}", within);
        if (code != 0)
            return RpcError((GrpcStatusCode)code, message, within);

        if (!GrpcHealthWire.TryReadFrame(body, out ReadOnlySpan<byte> payload, out string? frameError))
            return RpcError(GrpcStatusCode.Internal, frameError!, within);
        if (!GrpcHealthWire.TryDecodeResponse(payload, out int serving))
            return RpcError(GrpcStatusCode.Internal, "grpc: failed to unmarshal the received message: proto: cannot parse invalid wire-format data", within);
        return serving == GrpcHealthWire.Serving
            ? new ProbeResult(ProbeOutcome.Success, "service healthy")
            : Fail($"service unhealthy (responded with \"{GrpcHealthWire.StatusName(serving)}\")");
    }

    private static ProbeResult RpcError(GrpcStatusCode code, string message, string within) => code switch
    {
        GrpcStatusCode.Unimplemented => Fail($"error: this server does not implement the grpc health protocol (grpc.health.v1.Health): {message}"),
        GrpcStatusCode.DeadlineExceeded => Fail($"timeout: health rpc did not complete within {within}"),
        _ => Fail($"error: health rpc probe failed: rpc error: code = {GrpcHealthWire.CodeName(code)} desc = {message}"),
    };

    private static string? Header(HttpHeaders headers, string name) =>
        headers.TryGetValues(name, out IEnumerable<string>? values) ? values.FirstOrDefault() : null;

    private static string Innermost(Exception e)
    {
        while (e.InnerException is { } inner)
            e = inner;
        return e.Message;
    }

    private sealed class ConnectState
    {
        public volatile bool Connected;
        public volatile bool FactoryFailed;
        public string? Error;
    }

    private async ValueTask<Stream> ConnectAsync(ConnectState state, CancellationToken token)
    {
        IPAddress? address;
        if (!IPAddress.TryParse(_host, out address))
        {
            IPAddress[] addresses;
            try
            {
                addresses = await Dns.GetHostAddressesAsync(_host, token).ConfigureAwait(false);
            }
            catch (SocketException)
            {
                addresses = [];
            }
            address = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault();
            if (address is null)
            {
                state.Error = $"dial tcp: lookup {_host}: no such host";
                throw new HttpRequestException(state.Error);
            }
        }
        string dial = $"dial tcp {TcpProber.JoinHostPort(address.ToString(), _port)}: ";
        int fd;
        try
        {
            fd = _socketFactory(address.AddressFamily);
        }
        catch (Exception e)
        {
            state.FactoryFailed = true;
            state.Error = dial + "socket: " + e.Message;
            throw new HttpRequestException(state.Error, e);
        }
        // HttpClient needs a Stream: the descriptor is wrapped in a Socket, which owns it from here on.
        var handle = new SafeSocketHandle(fd, ownsHandle: true);
        Socket socket;
        try
        {
            socket = new Socket(handle);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
        try
        {
            socket.NoDelay = true;
            socket.LingerState = new LingerOption(true, 0);   // no TIME_WAIT per probe, as for TCP probes
            await socket.ConnectAsync(new IPEndPoint(address, _port), token).ConfigureAwait(false);
            state.Connected = true;
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            state.Error = dial + "connect: " + SocketErrorText(e);
            throw new HttpRequestException(state.Error, e);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static string SocketErrorText(SocketException e) => e.SocketErrorCode switch
    {
        SocketError.ConnectionRefused => "connection refused",
        SocketError.HostUnreachable => "no route to host",
        SocketError.NetworkUnreachable => "network is unreachable",
        SocketError.TimedOut => "connection timed out",
        SocketError.ConnectionReset => "connection reset by peer",
        SocketError.AccessDenied => "permission denied",
        _ => e.Message.Length > 0 ? char.ToLowerInvariant(e.Message[0]) + e.Message[1..] : e.SocketErrorCode.ToString(),
    };

    /// <summary>time.Duration's String(): 1s, 500ms, 1.5s, 1m30s, 1h0m0s.</summary>
    internal static string GoDuration(TimeSpan d)
    {
        long ns = d.Ticks * 100;
        if (ns == 0)
            return "0s";
        var sb = new StringBuilder();
        if (ns < 0)
        {
            sb.Append('-');
            ns = -ns;
        }
        if (ns < 1_000_000_000)
        {
            (long unit, string suffix) = ns < 1_000 ? (1L, "ns") : ns < 1_000_000 ? (1_000L, "µs") : (1_000_000L, "ms");
            AppendFraction(sb, ns, unit);
            return sb.Append(suffix).ToString();
        }
        long hours = ns / 3_600_000_000_000;
        ns -= hours * 3_600_000_000_000;
        long minutes = ns / 60_000_000_000;
        ns -= minutes * 60_000_000_000;
        if (hours > 0)
            sb.Append(hours).Append('h');
        if (hours > 0 || minutes > 0)
            sb.Append(minutes).Append('m');
        AppendFraction(sb, ns, 1_000_000_000);
        return sb.Append('s').ToString();
    }

    private static void AppendFraction(StringBuilder sb, long value, long unit)
    {
        sb.Append(value / unit);
        long frac = value % unit;
        if (frac == 0)
            return;
        string digits = frac.ToString(CultureInfo.InvariantCulture).PadLeft((int)Math.Log10(unit), '0').TrimEnd('0');
        sb.Append('.').Append(digits);
    }
}

internal enum GrpcStatusCode
{
    OK = 0, Canceled = 1, Unknown = 2, InvalidArgument = 3, DeadlineExceeded = 4, NotFound = 5, AlreadyExists = 6,
    PermissionDenied = 7, ResourceExhausted = 8, FailedPrecondition = 9, Aborted = 10, OutOfRange = 11,
    Unimplemented = 12, Internal = 13, Unavailable = 14, DataLoss = 15, Unauthenticated = 16,
}

/// <summary>The wire format of grpc.health.v1: the 5-byte gRPC message frame and the two tiny protobufs
/// HealthCheckRequest { string service = 1; } and HealthCheckResponse { ServingStatus status = 1; }.</summary>
internal static class GrpcHealthWire
{
    public const int Unknown = 0, Serving = 1, NotServing = 2, ServiceUnknown = 3;
    public const int MaxMessage = 4 * 1024 * 1024;

    public static byte[] EncodeRequest(string service) => EncodeStringField(1, service);

    public static byte[] EncodeResponse(int status)
    {
        if (status == 0)
            return [];        // proto3: a default value is not written
        var buffer = new byte[1 + VarintLength((ulong)(long)status)];
        buffer[0] = 1 << 3 | 0; // field 1, varint
        WriteVarint(buffer.AsSpan(1), (ulong)(long)status);
        return buffer;
    }

    public static bool TryDecodeRequest(ReadOnlySpan<byte> message, out string service)
    {
        service = "";
        while (!message.IsEmpty)
        {
            if (!TryReadVarint(ref message, out ulong key))
                return false;
            int field = (int)(key >> 3), wire = (int)(key & 7);
            if (field == 1 && wire == 2)
            {
                if (!TryReadVarint(ref message, out ulong len) || len > (ulong)message.Length)
                    return false;
                service = Encoding.UTF8.GetString(message[..(int)len]);
                message = message[(int)len..];
            }
            else if (field == 0 || !TrySkip(ref message, wire))
                return false;
        }
        return true;
    }

    /// <summary>The status of a HealthCheckResponse (UNKNOWN = 0 when absent); unknown fields are skipped.</summary>
    public static bool TryDecodeResponse(ReadOnlySpan<byte> message, out int status)
    {
        status = Unknown;
        while (!message.IsEmpty)
        {
            if (!TryReadVarint(ref message, out ulong key))
                return false;
            int field = (int)(key >> 3), wire = (int)(key & 7);
            if (field == 1 && wire == 0)
            {
                if (!TryReadVarint(ref message, out ulong value))
                    return false;
                status = (int)value;   // an enum is an int32: truncation is protobuf's rule
            }
            else if (field == 0 || !TrySkip(ref message, wire))
                return false;
        }
        return true;
    }

    /// <summary>A gRPC length-prefixed message: compressed flag 0, 4-byte big-endian length, the message.</summary>
    public static byte[] Frame(ReadOnlySpan<byte> message)
    {
        var frame = new byte[5 + message.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)message.Length);
        message.CopyTo(frame.AsSpan(5));
        return frame;
    }

    /// <summary>Reads the one message of a unary response body.</summary>
    public static bool TryReadFrame(ReadOnlySpan<byte> body, out ReadOnlySpan<byte> message, out string? error)
    {
        message = default;
        error = null;
        if (body.Length < 5)
        {
            error = body.IsEmpty ? "grpc: the server sent no response message" : "grpc: truncated message frame";
            return false;
        }
        if (body[0] != 0)
        {
            error = body[0] == 1 ? "grpc: compressed message received although no compression was negotiated" : $"grpc: invalid message frame flag {body[0]}";
            return false;
        }
        uint length = BinaryPrimitives.ReadUInt32BigEndian(body[1..]);
        if (length > MaxMessage || length > (uint)(body.Length - 5))
        {
            error = "grpc: truncated message frame";
            return false;
        }
        message = body.Slice(5, (int)length);
        return true;
    }

    public static string StatusName(int status) => status switch
    {
        Unknown => "UNKNOWN",
        Serving => "SERVING",
        NotServing => "NOT_SERVING",
        ServiceUnknown => "SERVICE_UNKNOWN",
        _ => status.ToString(CultureInfo.InvariantCulture),   // Go's protobuf prints an unknown enum value as its number
    };

    public static string CodeName(GrpcStatusCode code) => code switch
    {
        GrpcStatusCode.OK => "OK",
        GrpcStatusCode.Canceled => "Canceled",
        >= GrpcStatusCode.OK and <= GrpcStatusCode.Unauthenticated => code.ToString(),
        _ => $"Code({(int)code})",
    };

    /// <summary>grpc-go's mapping of a non-200 HTTP status to a gRPC code.</summary>
    public static GrpcStatusCode CodeFromHttpStatus(int http) => http switch
    {
        400 => GrpcStatusCode.Internal,
        401 => GrpcStatusCode.Unauthenticated,
        403 => GrpcStatusCode.PermissionDenied,
        404 => GrpcStatusCode.Unimplemented,
        429 or 502 or 503 or 504 => GrpcStatusCode.Unavailable,
        _ => GrpcStatusCode.Unknown,
    };

    private static byte[] EncodeStringField(int field, string value)
    {
        if (value.Length == 0)
            return [];
        int bytes = Encoding.UTF8.GetByteCount(value);
        var buffer = new byte[1 + VarintLength((ulong)bytes) + bytes];
        buffer[0] = (byte)(field << 3 | 2);
        int n = 1 + WriteVarint(buffer.AsSpan(1), (ulong)bytes);
        Encoding.UTF8.GetBytes(value, buffer.AsSpan(n));
        return buffer;
    }

    internal static int VarintLength(ulong value)
    {
        int n = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            n++;
        }
        return n;
    }

    internal static int WriteVarint(Span<byte> destination, ulong value)
    {
        int i = 0;
        while (value >= 0x80)
        {
            destination[i++] = (byte)(value | 0x80);
            value >>= 7;
        }
        destination[i++] = (byte)value;
        return i;
    }

    internal static bool TryReadVarint(ref ReadOnlySpan<byte> span, out ulong value)
    {
        value = 0;
        for (int i = 0; i < 10 && i < span.Length; i++)
        {
            byte b = span[i];
            value |= (ulong)(b & 0x7F) << (7 * i);
            if (b < 0x80)
            {
                span = span[(i + 1)..];
                return true;
            }
        }
        return false;
    }

    private static bool TrySkip(ref ReadOnlySpan<byte> span, int wire)
    {
        switch (wire)
        {
            case 0:
                return TryReadVarint(ref span, out _);
            case 1:
                if (span.Length < 8)
                    return false;
                span = span[8..];
                return true;
            case 2:
                if (!TryReadVarint(ref span, out ulong len) || len > (ulong)span.Length)
                    return false;
                span = span[(int)len..];
                return true;
            case 5:
                if (span.Length < 4)
                    return false;
                span = span[4..];
                return true;
            default:
                return false;
        }
    }
}
