using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PodShim.Runtime.Probes.Http;

/// <summary>
/// Builds probe request bytes the way the kubelet's Go client writes them (request.go + net/http): the request line
/// with the path percent-encoded where it must be, Host (the custom Host header if given, else host:port),
/// User-Agent kube-probe/major.minor unless set (an empty one is not sent), Connection: close, then the headers in
/// Go's order (sorted by canonical name, values in order), with Accept: */* unless set (an empty Accept is dropped).
/// Everything here runs once per prober (and once per followed redirect), never per steady-state probe.
/// </summary>
internal sealed class HttpProbeRequest
{
    private readonly List<KeyValuePair<string, string>> _headers = new(); // sorted, canonical, without Host and User-Agent
    private readonly bool _sendConnectionClose;

    public HttpProbeRequest(HttpProbeSpec spec)
    {
        string? customHost = null;
        string? userAgent = null;
        bool hasAccept = false;
        string? acceptFirst = null;
        var all = new List<KeyValuePair<string, string>>();
        foreach (var (rawName, rawValue) in spec.Headers)
        {
            string name = CanonicalHeaderKey(rawName);
            string value = rawValue.Trim(' ', '\t');
            if (ConfigError is null)
            {
                if (name.Length == 0 || !HttpResponseParser.IsToken(Encoding.UTF8.GetBytes(name)))
                    ConfigError = $"net/http: invalid header field name {HttpResponseParser.Quote(Encoding.UTF8.GetBytes(name))}";
                else if (value.Any(c => (c < ' ' && c != '\t') || c == '\x7f'))
                    ConfigError = $"net/http: invalid header field value for {HttpResponseParser.Quote(Encoding.UTF8.GetBytes(name))}";
            }
            switch (name)
            {
                case "Host": customHost ??= value; break;
                case "User-Agent": userAgent ??= value; break;
                case "Accept":
                    hasAccept = true;
                    acceptFirst ??= value;
                    all.Add(new(name, value));
                    break;
                default: all.Add(new(name, value)); break;
            }
        }
        if (!hasAccept) all.Add(new("Accept", "*/*"));
        else if (acceptFirst!.Length == 0) all.RemoveAll(h => h.Key == "Accept");
        // Go writes header keys sorted; values of one key keep their order (a stable sort).
        _headers.AddRange(all.Select((h, i) => (h, i)).OrderBy(t => t.h.Key, StringComparer.Ordinal).ThenBy(t => t.i).Select(t => t.h));
        UserAgent = userAgent ?? "kube-probe/" + MajorMinor(spec.KubeVersion);
        CustomHost = string.IsNullOrEmpty(customHost) ? null : customHost;
        _sendConnectionClose = !_headers.Any(h => h.Key == "Connection" && h.Value.Split(',').Any(t => t.Trim().Equals("close", StringComparison.OrdinalIgnoreCase)));
    }

    /// <summary>Go's error for a header it refuses to send, or null.</summary>
    public string? ConfigError { get; }

    /// <summary>The User-Agent sent (empty: none).</summary>
    public string UserAgent { get; }

    /// <summary>The Host header given in the probe's headers, or null.</summary>
    public string? CustomHost { get; }

    /// <summary>The request bytes for GET <paramref name="target"/> with the given Host.</summary>
    public byte[] Build(string target, string host)
    {
        var sb = new StringBuilder(256);
        sb.Append("GET ").Append(EncodeTarget(target)).Append(" HTTP/1.1\r\nHost: ").Append(host).Append("\r\n");
        if (UserAgent.Length > 0) sb.Append("User-Agent: ").Append(UserAgent).Append("\r\n");
        if (_sendConnectionClose) sb.Append("Connection: close\r\n");
        foreach (var (name, value) in _headers) sb.Append(name).Append(": ").Append(value).Append("\r\n");
        sb.Append("\r\n");
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    /// <summary>"host:port" with IPv6 literals bracketed (Go's net.JoinHostPort).</summary>
    public static string JoinHostPort(string host, int port) =>
        (host.Contains(':') ? "[" + host + "]" : host) + ":" + port.ToString(CultureInfo.InvariantCulture);

    /// <summary>The probe path as Go's formatURL + RequestURI make it: empty → "/", a leading "/" added.</summary>
    public static string NormalizePath(string path) =>
        path.Length == 0 ? "/" : path[0] == '/' ? path : "/" + path;

    /// <summary>Go's textproto.CanonicalMIMEHeaderKey: "x-foo-bar" → "X-Foo-Bar"; names with non-token bytes unchanged.</summary>
    public static string CanonicalHeaderKey(string name)
    {
        foreach (char c in name)
            if (c > 0x7f || !HttpResponseParser.IsToken([(byte)c])) return name;
        var chars = name.ToCharArray();
        bool upper = true;
        for (int i = 0; i < chars.Length; i++)
        {
            char c = chars[i];
            chars[i] = upper ? char.ToUpperInvariant(c) : char.ToLowerInvariant(c);
            upper = c == '-';
        }
        return new string(chars);
    }

    private static string MajorMinor(string version)
    {
        string v = version.TrimStart('v');
        int dot = v.IndexOf('.');
        if (dot < 0) return v;
        int dot2 = v.IndexOf('.', dot + 1);
        return dot2 < 0 ? v : v[..dot2];
    }

    /// <summary>Percent-encodes bytes a request target cannot carry (space, controls, non-ASCII), as Go's URL escaping does.</summary>
    private static string EncodeTarget(string target)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(target);
        var sb = new StringBuilder(bytes.Length + 8);
        foreach (byte b in bytes)
        {
            if (b <= 0x20 || b >= 0x7f || b == '"' || b == '<' || b == '>' || b == '`' || b == '{' || b == '}' || b == '|' || b == '\\' || b == '^')
                sb.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            else
                sb.Append((char)b);
        }
        return sb.ToString();
    }
}
