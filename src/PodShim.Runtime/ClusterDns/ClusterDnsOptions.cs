using System.Globalization;
using System.Net;
using PodShim.Runtime.Services;

namespace PodShim.Runtime.ClusterDns;

/// <summary>
/// The cluster DNS settings of a node, as the kubelet's --cluster-dns, --cluster-domain and
/// --resolv-conf, plus where the pods' resolvers forward names outside the cluster (CoreDNS's
/// <c>forward . /etc/resolv.conf</c>; <c>podshim run --upstream-dns</c> overrides it).
/// </summary>
public sealed record ClusterDnsOptions
{
    public static ClusterDnsOptions Default { get; } = new();

    /// <summary>The cluster domain (kubelet --cluster-domain).</summary>
    public string ClusterDomain { get; init; } = "cluster.local";

    /// <summary>Where each pod's resolver listens, inside the pod, and its nameserver (kubelet --cluster-dns): 10.96.0.10.</summary>
    public IPAddress ResolverAddress { get; init; } = ClusterIPRange.ToAddress(ClusterIPRange.DnsServiceAddress);

    /// <summary><see cref="ResolverAddress"/> as text (IPv4 formatted by hand: IPAddress.ToString is generic code left to the JIT).</summary>
    public string ResolverText => ResolverAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork
        ? ClusterIPRange.Format(ClusterIPRange.ToUInt32(ResolverAddress)) : ResolverAddress.ToString();

    /// <summary>The node's resolv.conf (kubelet --resolv-conf): dnsPolicy Default, the node's search domains, default upstreams.</summary>
    public string NodeResolvConf { get; init; } = "/etc/resolv.conf";

    /// <summary>Upstream resolvers; null: the nameservers of <see cref="NodeResolvConf"/>. Empty: none (SERVFAIL at once).</summary>
    public IReadOnlyList<IPEndPoint>? Upstreams { get; init; }

    /// <summary>How long a forwarded query may take, all upstreams together, before the client gets SERVFAIL.</summary>
    public TimeSpan ForwardBudget { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The node's resolv.conf, parsed; empty when there is none.</summary>
    public ResolverConfig ReadNodeConfig()
    {
        try
        {
            return ResolverConfig.Parse(File.ReadAllText(NodeResolvConf));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException)
        {
            return ResolverConfig.Empty;
        }
    }

    /// <summary>The upstreams to forward to: <see cref="Upstreams"/>, or the node's nameservers on port 53.</summary>
    public IReadOnlyList<IPEndPoint> EffectiveUpstreams() =>
        Upstreams ?? ReadNodeConfig().Nameservers.Select(s => TryParseEndpoint(s, out var e) ? e : null).OfType<IPEndPoint>().ToList();

    /// <summary>
    /// Parses --upstream-dns: addresses with optional ports, separated by commas ("127.0.0.1:5353,[::1]:53");
    /// "none" for no upstream at all. Throws FormatException naming the bad entry.
    /// </summary>
    public static IReadOnlyList<IPEndPoint> ParseUpstreams(string text)
    {
        if (text.Trim() == "none")
            return [];
        var result = new List<IPEndPoint>();
        foreach (string part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!TryParseEndpoint(part, out IPEndPoint? endpoint))
                throw new FormatException($"invalid upstream DNS server \"{part}\": want an IP address with an optional port (10.0.0.2, 127.0.0.1:5353, [::1]:53) or \"none\"");
            result.Add(endpoint);
        }
        if (result.Count == 0)
            throw new FormatException("--upstream-dns: no server given (use \"none\" for no upstream)");
        return result;
    }

    private static bool TryParseEndpoint(string text, out IPEndPoint endpoint)
    {
        endpoint = null!;
        if (IPAddress.TryParse(text, out IPAddress? bare) && !text.StartsWith('['))
        {
            endpoint = new IPEndPoint(bare, PodDnsServer.DnsPort);
            return true;
        }
        if (!IPEndPoint.TryParse(text, out IPEndPoint? parsed))
            return false;
        endpoint = parsed.Port == 0 ? new IPEndPoint(parsed.Address, PodDnsServer.DnsPort) : parsed;
        return true;
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"cluster DNS {ResolverAddress} ({ClusterDomain}), upstreams {(Upstreams is null ? NodeResolvConf : string.Join(",", Upstreams))}");
}
