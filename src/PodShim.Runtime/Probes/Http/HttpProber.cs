using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using PodShim.Interop;

namespace PodShim.Runtime.Probes.Http;

/// <summary>
/// The kubelet's httpGet prober (pkg/probe/http/http.go) as a synchronous HTTP/1.1 client: one per probe definition,
/// reused for every probe of it. GET with Connection: close on a fresh socket from the factory (made inside the pod's
/// network namespace), connect/send/read bounded together by the probe's timeout; success iff 200 ≤ status &lt; 400;
/// redirects followed only to the same host name, at most 10 requests; a redirect elsewhere or a final 3xx is a
/// success with a warning ("Probe terminated redirects, Response body: …"); other statuses fail with
/// "HTTP probe failed with statuscode: N"; transport errors fail with Go's wording (Get "url": …). A body that cannot be
/// read to its end (or to 10 KiB) is a probe error, which the kubelet does not count.
/// Plain HTTP allocates nothing per probe in steady state (no redirect, same outcome as before): the request bytes,
/// the sockaddr and the messages are prepared or cached; buffers come from ArrayPool; the socket is a raw descriptor
/// from the factory, owned by the exchange and closed with close(2) when it ends, made non-blocking and waited on with
/// poll(2); SO_LINGER 0 makes close send RST so probes leave no TIME_WAIT behind.
/// HTTPS goes through SslStream (over the same descriptor) with certificate validation off (allocates).
/// </summary>
public sealed class HttpProber : IDisposable
{
    /// <summary>Response heads larger than this fail (Go's default limit is 10 MB; probe endpoints are small).</summary>
    internal const int MaxHeadBytes = 64 * 1024;
    /// <summary>The kubelet reads at most this much of a body (maxRespBodyLength).</summary>
    internal const int MaxBodyBytes = 10 * 1024;
    private const int InitialBufferBytes = 4096;
    private const int MaxRedirectRequests = 10;
    private const int MaxInformational = 5;

    private readonly HttpProbeSpec _spec;
    private readonly ProbeSocketFactory _socketFactory;
    private readonly HttpProbeRequest _request;
    private readonly string _hostName;          // spec.Host without brackets: what redirects are compared with
    private readonly IPAddress? _address;       // null: a name, resolved per probe
    private readonly Target _initial;
    private readonly string? _configError;
    private int _cachedKey = int.MinValue;
    private string _cachedMessage = "";
    private bool _disposed;

    public HttpProber(HttpProbeSpec spec, ProbeSocketFactory socketFactory)
    {
        _spec = spec;
        _socketFactory = socketFactory;
        _request = new HttpProbeRequest(spec);
        _hostName = spec.Host.StartsWith('[') && spec.Host.EndsWith(']') ? spec.Host[1..^1] : spec.Host;
        _address = IPAddress.TryParse(_hostName, out IPAddress? ip) ? ip : null;
        string scheme = string.IsNullOrEmpty(spec.Scheme) ? "http" : spec.Scheme.ToLowerInvariant();
        string path = HttpProbeRequest.NormalizePath(spec.Path);
        string authority = HttpProbeRequest.JoinHostPort(_hostName, spec.Port);
        string url = scheme + "://" + authority + path;
        string host = _request.CustomHost ?? authority;
        _initial = new Target(scheme == "https", spec.Port, url, path, host, _request.Build(path, host));
        if (scheme != "http" && scheme != "https")
            _configError = $"Get \"{url}\": unsupported protocol scheme \"{scheme}\"";
        else if (_request.ConfigError is not null)
            _configError = $"Get \"{url}\": {_request.ConfigError}";
    }

    /// <summary>The URL of the first request, as the kubelet's messages print it.</summary>
    public string Url => _initial.Url;

    /// <summary>The bytes of the first request (tests and diagnostics).</summary>
    internal ReadOnlySpan<byte> RequestBytes => _initial.Request;

    /// <summary>Runs one probe; the whole of it (every connect, send and read, redirects included) is bounded by timeout.</summary>
    public ProbeResult Probe(TimeSpan timeout)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_configError is not null) return new ProbeResult(ProbeOutcome.Failure, _configError);
        long deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);

        IPAddress address;
        if (_address is not null) address = _address;
        else
        {
            IPAddress? resolved = Resolve(_hostName);
            if (resolved is null)
                return new ProbeResult(ProbeOutcome.Failure, $"Get \"{_initial.Url}\": dial tcp: lookup {_hostName}: no such host");
            address = resolved;
        }

        byte[] buffer = ArrayPool<byte>.Shared.Rent(InitialBufferBytes);
        byte[] body = ArrayPool<byte>.Shared.Rent(MaxBodyBytes);
        try
        {
            Target target = _initial;
            for (int request = 0; ; request++)
            {
                var exchange = new Exchange(this, target, address, deadline, buffer, body);
                try
                {
                    ProbeResult? failed = exchange.ReadHead(request == 0);
                    buffer = exchange.Buffer; // it may have grown
                    if (failed is { } f) return f;
                    int status = exchange.Head.StatusCode;

                    if (status is 301 or 302 or 303 or 307 or 308 && exchange.Head.LocationStart >= 0)
                    {
                        string location = exchange.Location();
                        Redirect next = ResolveRedirect(target, location);
                        bool offHost = next.HostName is not null && next.HostName != _hostName; // the kubelet's checker keeps this response
                        if (!offHost && next.Error is not null)
                            return new ProbeResult(ProbeOutcome.Failure, $"Get \"{target.Url}\": {next.Error}");
                        if (!offHost)
                        {
                            if (request + 1 >= MaxRedirectRequests)
                                return new ProbeResult(ProbeOutcome.Failure, $"Get \"{location}\": stopped after 10 redirects");
                            target = next.Target!;
                            continue;
                        }
                    }

                    ProbeResult? bodyError = exchange.ReadBody(out int bodyLength);
                    if (bodyError is { } be) return be;
                    if (status >= 200 && status < 400)
                    {
                        if (status < 300) return new ProbeResult(ProbeOutcome.Success);
                        return new ProbeResult(ProbeOutcome.Success,
                            "Probe terminated redirects, Response body: " + Encoding.UTF8.GetString(body, 0, bodyLength), Warning: true);
                    }
                    if (request == 0 && TryCached(status, out ProbeResult cached)) return cached;
                    return Remember(request == 0, status, "HTTP probe failed with statuscode: " + status.ToString(System.Globalization.CultureInfo.InvariantCulture));
                }
                finally
                {
                    buffer = exchange.Buffer; // returned once, below, even if it grew and something threw
                    exchange.Dispose();
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            ArrayPool<byte>.Shared.Return(body);
        }
    }

    public void Dispose() => _disposed = true;

    // A failure message is cached per key (status code, errno, kind) for the first request, so a probe that keeps
    // failing the same way allocates nothing either.
    private bool TryCached(int key, out ProbeResult result)
    {
        result = new ProbeResult(ProbeOutcome.Failure, _cachedMessage);
        return _cachedKey == key;
    }

    private ProbeResult Remember(bool firstRequest, int key, string message)
    {
        if (firstRequest)
        {
            _cachedKey = key;
            _cachedMessage = message;
        }
        return new ProbeResult(ProbeOutcome.Failure, message);
    }

    private static IPAddress? Resolve(string name)
    {
        try
        {
            IPAddress[] all = Dns.GetHostAddresses(name);
            return all.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? all.FirstOrDefault();
        }
        catch (SocketException)
        {
            return null;
        }
    }

    /// <summary>One request's destination: scheme, port, URL (for messages), path (for relative redirects), Host, bytes.</summary>
    private sealed record Target(bool Tls, int Port, string Url, string Path, string Host, byte[] Request);

    private readonly record struct Redirect(string? HostName, Target? Target, string? Error);

    /// <summary>Resolves a Location against the current request as Go's client does (fragment dropped).</summary>
    private Redirect ResolveRedirect(Target current, string location)
    {
        string loc = location;
        int hash = loc.IndexOf('#');
        if (hash >= 0) loc = loc[..hash];
        string currentScheme = current.Tls ? "https" : "http";

        int colon = loc.IndexOf(':');
        int slash = loc.IndexOf('/');
        bool hasScheme = colon > 0 && (slash < 0 || colon < slash) && char.IsAsciiLetter(loc[0])
            && loc[..colon].All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '-' or '.');
        if (hasScheme || loc.StartsWith("//", StringComparison.Ordinal))
        {
            string scheme = hasScheme ? loc[..colon].ToLowerInvariant() : currentScheme;
            string rest = hasScheme ? loc[(colon + 1)..] : loc;
            if (!rest.StartsWith("//", StringComparison.Ordinal))
                return new Redirect(null, null, $"unsupported protocol scheme \"{scheme}\"");
            rest = rest[2..];
            int end = rest.IndexOfAny(['/', '?']);
            string authority = end < 0 ? rest : rest[..end];
            string path = end < 0 ? "/" : rest[end] == '?' ? "/" + rest[end..] : rest[end..];
            int at = authority.LastIndexOf('@');
            if (at >= 0) authority = authority[(at + 1)..];
            if (!TrySplitAuthority(authority, out string hostName, out int port, scheme == "https" ? 443 : 80))
                return new Redirect(null, null, $"failed to parse Location header {HttpResponseParser.Quote(Encoding.UTF8.GetBytes(location))}: invalid port");
            if (scheme != "http" && scheme != "https")
                return new Redirect(hostName, null, $"unsupported protocol scheme \"{scheme}\"");
            if (hostName != _hostName) return new Redirect(hostName, null, null);
            string url = scheme + "://" + authority + path;
            return new Redirect(hostName, new Target(scheme == "https", port, url, path, authority, _request.Build(path, authority)), null);
        }

        // Relative: same scheme, host and port; a custom Host header is kept (Go keeps it for relative redirects).
        string basePath = current.Path;
        int q = basePath.IndexOf('?');
        string basePathNoQuery = q >= 0 ? basePath[..q] : basePath;
        string newPath;
        if (loc.StartsWith('/')) newPath = loc;
        else if (loc.Length == 0) newPath = basePath;
        else if (loc.StartsWith('?')) newPath = basePathNoQuery + loc;
        else newPath = basePathNoQuery[..(basePathNoQuery.LastIndexOf('/') + 1)] + loc;
        string prefix = current.Url[..(current.Url.IndexOf("://", StringComparison.Ordinal) + 3)];
        string authorityNow = current.Url[prefix.Length..];
        int pathAt = authorityNow.IndexOf('/');
        if (pathAt >= 0) authorityNow = authorityNow[..pathAt];
        string relUrl = prefix + authorityNow + newPath;
        return new Redirect(_hostName, new Target(current.Tls, current.Port, relUrl, newPath, current.Host, _request.Build(newPath, current.Host)), null);
    }

    private static bool TrySplitAuthority(string authority, out string hostName, out int port, int defaultPort)
    {
        port = defaultPort;
        string portText = "";
        if (authority.StartsWith('['))
        {
            int close = authority.IndexOf(']');
            if (close < 0) { hostName = authority; return false; }
            hostName = authority[1..close];
            if (close + 1 < authority.Length)
            {
                if (authority[close + 1] != ':') return false;
                portText = authority[(close + 2)..];
            }
        }
        else
        {
            int c = authority.LastIndexOf(':');
            hostName = c < 0 ? authority : authority[..c];
            if (c >= 0) portText = authority[(c + 1)..];
        }
        if (portText.Length == 0) return true;
        return int.TryParse(portText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out port) && port is > 0 and < 65536;
    }

    /// <summary>One connection: connect, send the request, read the head, read the body; disposed after each request.</summary>
    private struct Exchange : IDisposable
    {
        private readonly HttpProber _owner;
        private readonly Target _target;
        private readonly IPAddress _address;
        private readonly long _deadline;
        private readonly byte[] _body;
        private int _fd;            // the connection's descriptor, owned here (closed in Dispose); -1: none
        private SslStream? _ssl;
        private int _filled;        // bytes in Buffer
        private int _headLength;    // bytes of the final head at the start of Buffer
        public byte[] Buffer;
        public ResponseHead Head;

        public Exchange(HttpProber owner, Target target, IPAddress address, long deadline, byte[] buffer, byte[] body)
        {
            _owner = owner;
            _target = target;
            _address = address;
            _deadline = deadline;
            Buffer = buffer;
            _body = body;
            _fd = -1;
        }

        public readonly string Location() =>
            Encoding.UTF8.GetString(Buffer, Head.LocationStart, Head.LocationLength);

        /// <summary>Connects, sends and reads up to the final (non-1xx) head. Null on success, else the probe's result.</summary>
        public ProbeResult? ReadHead(bool firstRequest)
        {
            ProbeResult? r = Connect(firstRequest);
            if (r is not null) return r;
            r = Send(firstRequest);
            if (r is not null) return r;

            int informational = 0;
            int scanFrom = 0;
            while (true)
            {
                ReadOnlySpan<byte> data = Buffer.AsSpan(scanFrom, _filled - scanFrom);
                int end = HttpResponseParser.FindHeadEnd(data);
                if (end < 0 && HttpResponseParser.TryGetFirstLine(data, out int firstLength))
                {
                    HeadError lineError = HttpResponseParser.ParseStatusLine(data[..firstLength], out _, out int es, out int el);
                    if (lineError != HeadError.None) return HeadFailure(firstRequest, lineError, data.Slice(es, el));
                }
                if (end >= 0)
                {
                    HeadError error = HttpResponseParser.ParseHead(data[..end], out Head);
                    if (error != HeadError.None) return HeadFailure(firstRequest, error, data.Slice(Head.ErrorStart, Head.ErrorLength));
                    if (Head.StatusCode is >= 100 and < 200 && Head.StatusCode != 101)
                    {
                        if (++informational > MaxInformational)
                            return Fail(firstRequest, 20003, "net/http: HTTP/1.x transport connection broken: too many 1xx informational responses");
                        scanFrom += end;
                        continue;
                    }
                    // Move the final head to the start of the buffer so offsets are relative to 0.
                    if (scanFrom > 0)
                    {
                        Buffer.AsSpan(scanFrom, _filled - scanFrom).CopyTo(Buffer);
                        _filled -= scanFrom;
                    }
                    _headLength = end;
                    return null;
                }
                if (_filled - scanFrom >= MaxHeadBytes)
                    return Fail(firstRequest, 20002, $"net/http: server response headers exceeded {MaxHeadBytes} bytes; aborted");
                if (_filled == Buffer.Length)
                {
                    if (scanFrom > 0)
                    {
                        Buffer.AsSpan(scanFrom, _filled - scanFrom).CopyTo(Buffer);
                        _filled -= scanFrom;
                        scanFrom = 0;
                    }
                    else
                    {
                        byte[] bigger = ArrayPool<byte>.Shared.Rent(Math.Min(Buffer.Length * 2, MaxHeadBytes));
                        Buffer.AsSpan(0, _filled).CopyTo(bigger);
                        ArrayPool<byte>.Shared.Return(Buffer);
                        Buffer = bigger;
                    }
                }
                // Nothing has arrived yet right after the request: wait before reading (saves a recv that would say EAGAIN).
                int n = Receive(Buffer.AsSpan(_filled), out IoFailure failure, out int errno, waitFirst: _filled == 0);
                if (failure == IoFailure.Timeout) return TimeoutAwaitingHeaders(firstRequest);
                if (failure == IoFailure.Errno) return ReadErrno(firstRequest, errno);
                if (failure == IoFailure.Other) return new ProbeResult(ProbeOutcome.Failure, $"Get \"{_target.Url}\": {_lastException}");
                if (n == 0)
                {
                    if (_filled - scanFrom == 0)
                        return Fail(firstRequest, 20001, "EOF");
                    return Fail(firstRequest, 20004, "unexpected EOF");
                }
                _filled += n;
            }
        }

        /// <summary>Reads the body (up to 10 KiB of it) into the body buffer. Null when read, else a probe error.</summary>
        public ProbeResult? ReadBody(out int bodyLength)
        {
            bodyLength = 0;
            if (!Head.HasBody) return null;
            Span<byte> body = _body.AsSpan(0, MaxBodyBytes);
            ReadOnlySpan<byte> pending = Buffer.AsSpan(_headLength, _filled - _headLength);
            var chunked = new ChunkedDecoder();
            long remaining = Head.ContentLength; // -1: chunked or until EOF
            while (true)
            {
                if (Head.Chunked)
                {
                    ChunkStatus status = chunked.Decode(pending, body, ref bodyLength);
                    if (status == ChunkStatus.Done) return null;
                    if (status == ChunkStatus.Error) return BodyError(chunked.Error!);
                }
                else
                {
                    int take = remaining >= 0 ? (int)Math.Min(remaining, pending.Length) : pending.Length;
                    int copy = Math.Min(take, MaxBodyBytes - bodyLength);
                    pending[..copy].CopyTo(body[bodyLength..]);
                    bodyLength += copy;
                    if (remaining >= 0) remaining -= take;
                    if (remaining == 0) return null;
                }
                if (bodyLength >= MaxBodyBytes) return null; // the kubelet stops reading here (non-fatal truncation)
                int n = Receive(Buffer, out IoFailure failure, out int errno);
                if (failure == IoFailure.Timeout) return BodyError("context deadline exceeded (Client.Timeout or context cancellation while reading body)");
                if (failure == IoFailure.Errno) return BodyError($"read tcp {Remote}: read: {GoErrno.Text(errno)}");
                if (failure == IoFailure.Other) return BodyError(_lastException ?? "read error");
                if (n == 0)
                {
                    if (remaining < 0 && !Head.Chunked) return null; // body delimited by the end of the connection
                    return BodyError("unexpected EOF");
                }
                pending = Buffer.AsSpan(0, n);
            }
        }

        public void Dispose()
        {
            _ssl?.Dispose();    // its FdStream does not own the descriptor
            _ssl = null;
            if (_fd >= 0) Posix.Close(_fd);
            _fd = -1;
        }

        private string? _lastException;
        private FdStream? _fdStream;

        private readonly string Remote => HttpProbeRequest.JoinHostPort(_address.ToString(), _target.Port);

        private static ProbeResult BodyError(string message) => new(ProbeOutcome.Error, message);

        private readonly ProbeResult Fail(bool firstRequest, int key, string what)
        {
            if (firstRequest && _owner.TryCached(key, out ProbeResult cached)) return cached;
            return _owner.Remember(firstRequest, key, $"Get \"{_target.Url}\": {what}");
        }

        private readonly ProbeResult HeadFailure(bool firstRequest, HeadError error, ReadOnlySpan<byte> offending) =>
            new(ProbeOutcome.Failure, $"Get \"{_target.Url}\": {HttpResponseParser.Describe(error, offending)}");

        private readonly ProbeResult TimeoutAwaitingHeaders(bool firstRequest) =>
            Fail(firstRequest, 20000, "context deadline exceeded (Client.Timeout exceeded while awaiting headers)");

        private readonly ProbeResult ReadErrno(bool firstRequest, int errno) =>
            new(ProbeOutcome.Failure, $"Get \"{_target.Url}\": read tcp {Remote}: read: {GoErrno.Text(errno)}");

        private ProbeResult? Connect(bool firstRequest)
        {
            // A raw descriptor, not a Socket: this exchange owns it until Dispose, and no object is allocated for it.
            int fd = _owner._socketFactory(_address.AddressFamily);
            _fd = fd;
            // Close sends RST, no TIME_WAIT. Their results are not checked: on a TCP socket they cannot fail, and a
            // descriptor that is not one fails the connect next, which reports it.
            RawSocket.SetLingerReset(fd);
            // All plain I/O below is recv/send/poll on the non-blocking descriptor.
            RawSocket.SetNonBlocking(fd);

            Span<byte> sockaddr = stackalloc byte[RawSocket.MaxSockaddrLength];
            int length = RawSocket.WriteSockaddr(_address, _target.Port, sockaddr);
            int errno = RawSocket.ConnectNonBlocking(fd, sockaddr[..length]);
            if (errno == EInProgress)
            {
                int ready = RawSocket.Wait(fd, PollOut, RemainingMs());
                if (ready == 0) return TimeoutAwaitingHeaders(firstRequest);
                if ((ready & (PollErr | PollHup)) == 0) errno = 0; // writable and no error: connected, no SO_ERROR call needed
                else
                {
                    errno = RawSocket.PendingError(fd);
                    if (errno == 0) errno = 111; // hung up without an error: refused
                }
            }
            if (errno != 0)
            {
                if (firstRequest && _owner.TryCached(10000 + errno, out ProbeResult cached)) return cached;
                return _owner.Remember(firstRequest, 10000 + errno, $"Get \"{_target.Url}\": dial tcp {Remote}: connect: {GoErrno.Text(errno)}");
            }

            if (_target.Tls)
            {
                try
                {
                    _fdStream = new FdStream(fd, _deadline);
                    _ssl = new SslStream(_fdStream, leaveInnerStreamOpen: false);
                    string hostName = _owner._hostName;
                    _ssl.AuthenticateAsClient(new SslClientAuthenticationOptions
                    {
                        TargetHost = IPAddress.TryParse(hostName, out _) ? "" : hostName,
                        RemoteCertificateValidationCallback = static (_, _, _, _) => true,
                    });
                }
                catch (Exception e) when (e is IOException or SocketException or TimeoutException or System.Security.Authentication.AuthenticationException)
                {
                    if (IsTimeout(e)) return TimeoutAwaitingHeaders(firstRequest);
                    return new ProbeResult(ProbeOutcome.Failure, $"Get \"{_target.Url}\": {e.Message}");
                }
            }
            return null;
        }

        private ProbeResult? Send(bool firstRequest)
        {
            ReadOnlySpan<byte> request = _target.Request;
            if (_ssl is not null)
            {
                try
                {
                    _ssl.Write(request);
                    return null;
                }
                catch (Exception e) when (e is IOException or SocketException or TimeoutException)
                {
                    if (IsTimeout(e)) return TimeoutAwaitingHeaders(firstRequest);
                    return new ProbeResult(ProbeOutcome.Failure, $"Get \"{_target.Url}\": {e.Message}");
                }
            }
            int fd = _fd;
            while (!request.IsEmpty)
            {
                int n = RawSocket.Send(fd, request);
                if (n >= 0) { request = request[n..]; continue; }
                if (n == -EAgain)
                {
                    if (RawSocket.Wait(fd, PollOut, RemainingMs()) == 0) return TimeoutAwaitingHeaders(firstRequest);
                    continue;
                }
                return new ProbeResult(ProbeOutcome.Failure, $"Get \"{_target.Url}\": write tcp {Remote}: write: {GoErrno.Text(-n)}");
            }
            return null;
        }

        private enum IoFailure { None, Timeout, Errno, Other }

        /// <summary>Reads what is there (0 = end of stream), waiting with poll(2) until the deadline.</summary>
        private int Receive(Span<byte> into, out IoFailure failure, out int errno, bool waitFirst = false)
        {
            failure = IoFailure.None;
            errno = 0;
            if (_ssl is not null)
            {
                try
                {
                    return _ssl.Read(into);
                }
                catch (Exception e) when (e is IOException or SocketException or TimeoutException)
                {
                    failure = IsTimeout(e) ? IoFailure.Timeout : IoFailure.Other;
                    _lastException = e.Message;
                    return 0;
                }
            }
            int fd = _fd;
            if (waitFirst && RawSocket.Wait(fd, PollIn, RemainingMs()) == 0) { failure = IoFailure.Timeout; return 0; }
            while (true)
            {
                int n = RawSocket.Recv(fd, into);
                if (n >= 0) return n;
                if (n == -EAgain)
                {
                    if (RawSocket.Wait(fd, PollIn, RemainingMs()) == 0) { failure = IoFailure.Timeout; return 0; }
                    continue;
                }
                failure = IoFailure.Errno;
                errno = -n;
                return 0;
            }
        }

        private readonly int RemainingMs()
        {
            long ticks = _deadline - Stopwatch.GetTimestamp();
            if (ticks <= 0) return 0;
            long ms = (ticks * 1000 + Stopwatch.Frequency - 1) / Stopwatch.Frequency;
            return ms > int.MaxValue ? int.MaxValue : (int)ms;
        }

        private readonly bool IsTimeout(Exception e) => _fdStream?.TimedOut == true || e is TimeoutException || e.InnerException is TimeoutException;
    }

    /// <summary>The socket descriptor as a Stream for SslStream: recv/send with poll(2) bounded by the probe's deadline.</summary>
    private sealed class FdStream(int fd, long deadline) : Stream
    {
        public bool TimedOut { get; private set; }

        public override bool CanRead => true;
        public override bool CanWrite => true;
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            while (true)
            {
                int n = RawSocket.Recv(fd, buffer);
                if (n >= 0) return n;
                if (n != -EAgain) throw new IOException($"read: {GoErrno.Text(-n)}");
                WaitOrThrow(PollIn);
            }
        }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            while (!buffer.IsEmpty)
            {
                int n = RawSocket.Send(fd, buffer);
                if (n >= 0) { buffer = buffer[n..]; continue; }
                if (n != -EAgain) throw new IOException($"write: {GoErrno.Text(-n)}");
                WaitOrThrow(PollOut);
            }
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Task.FromResult(Read(buffer, offset, count));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Read(buffer.Span));

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            Write(buffer, offset, count);
            return Task.CompletedTask;
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        private void WaitOrThrow(short events)
        {
            long ticks = deadline - Stopwatch.GetTimestamp();
            int ms = ticks <= 0 ? 0 : (int)Math.Min(int.MaxValue, (ticks * 1000 + Stopwatch.Frequency - 1) / Stopwatch.Frequency);
            if (RawSocket.Wait(fd, events, ms) == 0)
            {
                TimedOut = true;
                throw new TimeoutException();
            }
        }
    }

    private const int EInProgress = 115, EAgain = 11;
    private const short PollIn = RawSocket.PollIn, PollOut = RawSocket.PollOut, PollErr = RawSocket.PollErr, PollHup = RawSocket.PollHup;
}
