using System.Text;
using PodShim.Manifest;

namespace PodShim.Runtime.ClusterDns;

/// <summary>A resolv.conf's three parts, as the kubelet reads and writes them.</summary>
public sealed record ResolverConfig(IReadOnlyList<string> Nameservers, IReadOnlyList<string> Searches, IReadOnlyList<string> Options)
{
    public static ResolverConfig Empty { get; } = new([], [], []);

    /// <summary>
    /// kubelet's parseResolvConf: "nameserver" lines accumulate, the last "search" and the last
    /// "options" line win, search domains lose a trailing dot, lines starting with # are comments.
    /// </summary>
    public static ResolverConfig Parse(string text)
    {
        var nameservers = new List<string>();
        IReadOnlyList<string> searches = [], options = [];
        foreach (string line in text.Split('\n'))
        {
            string trimmed = line.Trim();
            if (trimmed.StartsWith('#'))
                continue;
            string[] fields = trimmed.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 0)
                continue;
            switch (fields[0])
            {
                case "nameserver" when fields.Length >= 2: nameservers.Add(fields[1]); break;
                case "search": searches = fields[1..].Select(s => s.EndsWith('.') ? s[..^1] : s).ToList(); break;
                case "options": options = fields[1..]; break;
            }
        }
        return new ResolverConfig(nameservers, searches, options);
    }

    /// <summary>The file as the container runtime writes it: search, then nameservers, then options.</summary>
    public string Render()
    {
        var sb = new StringBuilder();
        if (Searches.Count > 0)
            sb.Append("search ").AppendJoin(' ', Searches).Append('\n');
        foreach (string server in Nameservers)
            sb.Append("nameserver ").Append(server).Append('\n');
        if (Options.Count > 0)
            sb.Append("options ").AppendJoin(' ', Options).Append('\n');
        return sb.ToString();
    }
}

/// <summary>
/// The pod's /etc/resolv.conf, formed as the kubelet's dns.Configurer.GetPodDNS does: ClusterFirst gets
/// the cluster resolver, the search path <c>&lt;ns&gt;.svc.&lt;domain&gt; svc.&lt;domain&gt; &lt;domain&gt;</c> followed by
/// the node's search domains, and <c>options ndots:5</c>; Default gets the node's resolv.conf; None starts
/// empty; dnsConfig is then merged in; the limits (3 nameservers, 32 search domains, 2048 characters)
/// are applied with the kubelet's DNSConfigForming warnings.
/// </summary>
public static class PodResolvConf
{
    public const int MaxNameservers = 3, MaxSearchPaths = 32, MaxSearchListChars = 2048, MaxSearchDomainLength = 253;

    /// <param name="pod">The pod.</param>
    /// <param name="node">The node's resolv.conf (kubelet --resolv-conf), parsed.</param>
    /// <param name="clusterDns">The cluster DNS address, as the kubelet's --cluster-dns.</param>
    /// <param name="clusterDomain">The cluster domain (--cluster-domain), "cluster.local".</param>
    /// <param name="warnings">DNSConfigForming warnings for the pod's events.</param>
    public static ResolverConfig Form(Pod pod, ResolverConfig node, string clusterDns, string clusterDomain, List<string> warnings)
    {
        ResolverConfig config;
        switch (DnsType(pod, warnings))
        {
            case PodDnsType.None:
                config = ResolverConfig.Empty;
                break;
            case PodDnsType.Cluster:
                string ns = pod.Metadata.Namespace;
                config = new ResolverConfig([clusterDns],
                    Distinct([$"{ns}.svc.{clusterDomain}", $"svc.{clusterDomain}", clusterDomain, .. node.Searches]),
                    ["ndots:5"]);
                break;
            default:
                config = node;
                break;
        }
        if (pod.Spec.DnsConfig is { } extra)
        {
            config = new ResolverConfig(
                Distinct([.. config.Nameservers, .. extra.Nameservers]),
                Distinct([.. config.Searches, .. extra.Searches]),
                MergeOptions(config.Options, extra.Options));
        }
        return FitLimits(config, warnings);
    }

    private enum PodDnsType { Cluster, Host, None }

    private static PodDnsType DnsType(Pod pod, List<string> warnings) => pod.Spec.DnsPolicy switch
    {
        "None" => PodDnsType.None,
        "ClusterFirstWithHostNet" when pod.Spec.HostNetwork => HostNetCluster(warnings),
        "ClusterFirstWithHostNet" => PodDnsType.Cluster,
        "ClusterFirst" when !pod.Spec.HostNetwork => PodDnsType.Cluster,
        _ => PodDnsType.Host, // Default, and ClusterFirst on the host network (kubelet falls back)
    };

    /// <summary>
    /// The cluster resolver lives inside a pod's own network namespace; a host-network pod cannot reach it
    /// without changing the host's network, which podshim never does. Such a pod gets the node's resolvers.
    /// </summary>
    private static PodDnsType HostNetCluster(List<string> warnings)
    {
        warnings.Add("dnsPolicy ClusterFirstWithHostNet: podshim serves cluster DNS only inside a pod's own network namespace; the node's resolv.conf is used");
        return PodDnsType.Host;
    }

    private static List<string> Distinct(IEnumerable<string> items)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        return items.Where(seen.Add).ToList();
    }

    /// <summary>kubelet's mergeDNSOptions: dnsConfig options override by name (kept here in first-seen order).</summary>
    private static List<string> MergeOptions(IReadOnlyList<string> existing, IReadOnlyList<PodDnsConfigOption> extra)
    {
        var order = new List<string>();
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        void Set(string name, string value)
        {
            if (!values.ContainsKey(name))
                order.Add(name);
            values[name] = value;
        }
        foreach (string op in existing)
        {
            int colon = op.IndexOf(':');
            if (colon >= 0)
                Set(op[..colon], op[(colon + 1)..]);
            else
                Set(op, "");
        }
        foreach (var op in extra)
            Set(op.Name, op.Value ?? "");
        return order.Select(n => values[n].Length > 0 ? $"{n}:{values[n]}" : n).ToList();
    }

    private static ResolverConfig FitLimits(ResolverConfig config, List<string> warnings)
    {
        IReadOnlyList<string> servers = config.Nameservers;
        if (servers.Count > MaxNameservers)
        {
            servers = servers.Take(MaxNameservers).ToList();
            warnings.Add($"Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: {string.Join(' ', servers)}");
        }
        var search = config.Searches.ToList();
        bool exceeded = false;
        if (search.Count > MaxSearchPaths)
        {
            search = search.Take(MaxSearchPaths).ToList();
            exceeded = true;
        }
        // glibc aborts on a search domain longer than 255 characters: such domains are dropped.
        if (search.RemoveAll(s => s.Length > MaxSearchDomainLength) > 0)
            exceeded = true;
        int lineLength = string.Join(' ', search).Length;
        if (lineLength > MaxSearchListChars)
        {
            int cut = 0, cutLength = 0;
            for (int i = search.Count - 1; i >= 0; i--)
            {
                cutLength += search[i].Length + 1;
                cut++;
                if (lineLength - cutLength <= MaxSearchListChars)
                    break;
            }
            search = search.Take(search.Count - cut).ToList();
            exceeded = true;
        }
        if (exceeded)
            warnings.Add($"Search Line limits were exceeded, some search paths have been omitted, the applied search line is: {string.Join(' ', search)}");
        return new ResolverConfig(servers, search, config.Options);
    }
}
