using System.Buffers.Binary;
using System.Text;
using PodShim.Runtime.Services;

namespace PodShim.Runtime.ClusterDns;

/// <summary>The pod a resolver serves: its namespace, hostname, subdomain and labels, and whether it is Ready.</summary>
public sealed record DnsPodIdentity(string Namespace, string Hostname, string? Subdomain, IReadOnlyDictionary<string, string> Labels)
{
    /// <summary>Ready, as headless Service endpoints need; the supervisor wires it to the pod's Ready condition.</summary>
    public Func<bool> IsReady { get; init; } = () => true;
}

/// <summary>
/// Answers the cluster's names from the Service registry, as the Kubernetes DNS specification and
/// CoreDNS's kubernetes plugin do, or says the query must go upstream:
/// <list type="bullet">
/// <item><c>&lt;svc&gt;.&lt;ns&gt;.svc.&lt;domain&gt;</c>: A with the ClusterIP; a headless Service answers its ready endpoints
/// (on one host, only this pod can be one: its address is 127.0.1.1, the one /etc/hosts gives its hostname),
/// NXDOMAIN without any (the DNS spec since kubernetes/dns#245); an ExternalName Service a CNAME.</item>
/// <item><c>&lt;hostname&gt;.&lt;subdomain&gt;.&lt;ns&gt;.svc.&lt;domain&gt;</c>: this pod, when a headless Service named after its subdomain exists.</item>
/// <item><c>a-b-c-d.&lt;ns&gt;.pod.&lt;domain&gt;</c>: A a.b.c.d (CoreDNS's "pods insecure").</item>
/// <item>Short forms answered directly, for tools that do not use the search path:
/// <c>&lt;svc&gt;</c> (the pod's namespace), <c>&lt;svc&gt;.&lt;ns&gt;</c>, <c>&lt;svc&gt;.&lt;ns&gt;.svc</c>, and the pod's
/// <c>&lt;hostname&gt;.&lt;subdomain&gt;[.&lt;ns&gt;[.svc]]</c>. An unknown single label or <c>x.y.svc</c> is NXDOMAIN; an unknown
/// <c>a.b</c> may be an Internet name and goes upstream.</item>
/// <item>Reverse names of the Service CIDR: PTR to the Service's name.</item>
/// <item><c>&lt;svc&gt;.svc.&lt;domain&gt;</c> and <c>&lt;svc&gt;.&lt;domain&gt;</c> for a Service of the pod's namespace: NODATA, for
/// busybox's nslookup (see <see cref="IsSearchSiblingOfAService"/>).</item>
/// <item>Every other unknown name in the cluster domain: NXDOMAIN with the zone's SOA. A known name asked
/// for another type (AAAA above all: the cluster is IPv4-only) is NOERROR with no records.</item>
/// </list>
/// Everything else is forwarded.
/// </summary>
public sealed class ClusterDnsResolver
{
    /// <summary>CoreDNS's kubernetes plugin default TTL.</summary>
    public const uint Ttl = 5;
    /// <summary>The address this pod's hostname has in its /etc/hosts, used for its own records.</summary>
    public static readonly byte[] PodSelfAddress = [127, 0, 1, 1];

    private static readonly byte[] Svc = "svc"u8.ToArray(), PodLabel = "pod"u8.ToArray(), InAddr = "in-addr"u8.ToArray(), Arpa = "arpa"u8.ToArray();
    private readonly ServiceDirectoryView _services;
    private readonly DnsPodIdentity _pod;
    private readonly string _domain;
    private readonly byte[][] _domainLabels;
    private readonly byte[] _zone, _soaMname, _soaRname;

    public ClusterDnsResolver(ServiceDirectoryView services, DnsPodIdentity pod, string clusterDomain = "cluster.local")
    {
        _services = services;
        _pod = pod;
        _domain = clusterDomain.Trim('.').ToLowerInvariant();
        _domainLabels = _domain.Split('.').Select(Encoding.ASCII.GetBytes).ToArray();
        _zone = Wire(_domain);
        _soaMname = Wire("ns.dns." + _domain);
        _soaRname = Wire("hostmaster." + _domain);
    }

    /// <summary>What a name is: an address (A), an alias (CNAME), a reverse name (PTR), a name without records, none, or not ours.</summary>
    private enum Outcome { Forward, Address, Cname, Ptr, NoData, NxDomain }

    /// <summary>
    /// Writes the answer to <paramref name="query"/> into <paramref name="response"/> and returns true,
    /// or returns false (nothing written) when the query is for upstream resolvers.
    /// </summary>
    public bool TryAnswer(in DnsQuery query, ref DnsResponseBuilder response)
    {
        if (query.Class != DnsHeader.ClassIN && query.Class != DnsType.ANY)
            return false;
        Span<Range> labelRanges = stackalloc Range[128];
        ReadOnlySpan<byte> name = query.Name;
        int count = DnsName.Labels(name, labelRanges);
        if (count <= 0)
            return false;
        Span<byte> ip = stackalloc byte[4];
        Outcome outcome = Classify(name, labelRanges[..count], ip, out string? target, out bool inZone);
        switch (outcome)
        {
            case Outcome.Forward:
                return false;
            case Outcome.NxDomain:
                response.Begin(query, DnsRcode.NxDomain, authoritative: inZone);
                if (inZone)
                    AddSoa(ref response);
                return true;
            case Outcome.NoData:
                response.Begin(query, DnsRcode.NoError, authoritative: inZone);
                if (inZone)
                    AddSoa(ref response);
                return true;
        }

        response.Begin(query, DnsRcode.NoError, authoritative: true);
        Span<byte> wire = stackalloc byte[DnsHeader.MaxNameLength];
        switch (outcome)
        {
            case Outcome.Cname when DnsName.Encode(target!, wire) is > 0 and int length:
                response.AddCname(name, Ttl, wire[..length]);
                break;
            case Outcome.Ptr when query.Type is DnsType.PTR or DnsType.ANY && DnsName.Encode(target!, wire) is > 0 and int length:
                response.AddPtr(name, Ttl, wire[..length]);
                break;
            case Outcome.Address when query.Type is DnsType.A or DnsType.ANY:
                response.AddA(name, Ttl, ip);
                break;
            default:
                AddSoa(ref response); // the name exists, not with this type: NODATA
                break;
        }
        return true;
    }

    private Outcome Classify(ReadOnlySpan<byte> name, ReadOnlySpan<Range> labels, Span<byte> ip, out string? target, out bool inZone)
    {
        target = null;
        int n = labels.Length;
        inZone = EndsWithDomain(name, labels);
        if (inZone)
        {
            int m = n - _domainLabels.Length; // labels before the cluster domain
            if (m == 0)
                return Outcome.NoData; // the zone apex
            ReadOnlySpan<byte> kind = name[labels[m - 1]];
            if (DnsName.LabelIs(kind, Svc))
            {
                return m switch
                {
                    1 => Outcome.NoData,
                    2 => Current().HasNamespace(Text(name, labels[0])) || Text(name, labels[0]) == _pod.Namespace
                         || IsSearchSiblingOfAService(name, labels[0]) ? Outcome.NoData : Outcome.NxDomain,
                    3 => ServiceRecord(Text(name, labels[1]), Text(name, labels[0]), ip, out target),
                    4 => PodHostRecord(Text(name, labels[2]), Text(name, labels[1]), Text(name, labels[0]), ip),
                    _ => Outcome.NxDomain,
                };
            }
            if (DnsName.LabelIs(kind, PodLabel))
            {
                return m switch
                {
                    1 or 2 => Outcome.NoData,
                    3 => ParseDashedIPv4(name[labels[0]], ip) ? Outcome.Address : Outcome.NxDomain,
                    _ => Outcome.NxDomain,
                };
            }
            return m == 1 && IsSearchSiblingOfAService(name, labels[0]) ? Outcome.NoData : Outcome.NxDomain;
        }

        if (n >= 2 && DnsName.LabelIs(name[labels[n - 1]], Arpa) && DnsName.LabelIs(name[labels[n - 2]], InAddr))
            return Reverse(name, labels[..(n - 2)], out target);

        bool lastIsSvc = DnsName.LabelIs(name[labels[n - 1]], Svc);
        switch (n)
        {
            case 1:
                // A bare name is a Service of the pod's namespace, or nothing.
                return ServiceRecord(_pod.Namespace, Text(name, labels[0]), ip, out target);
            case 2:
            {
                Outcome o = ServiceRecord(Text(name, labels[1]), Text(name, labels[0]), ip, out target);
                if (o != Outcome.NxDomain)
                    return o;
                o = PodHostRecord(_pod.Namespace, Text(name, labels[1]), Text(name, labels[0]), ip);
                return o == Outcome.Address ? o : Outcome.Forward;
            }
            case 3 when lastIsSvc:
                return ServiceRecord(Text(name, labels[1]), Text(name, labels[0]), ip, out target);
            case 3:
                return PodHostRecord(Text(name, labels[2]), Text(name, labels[1]), Text(name, labels[0]), ip) == Outcome.Address
                    ? Outcome.Address : Outcome.Forward;
            case 4 when lastIsSvc:
                return PodHostRecord(Text(name, labels[2]), Text(name, labels[1]), Text(name, labels[0]), ip);
            default:
                return Outcome.Forward;
        }
    }

    private ServiceSnapshot Current() => _services.Current;

    /// <summary>
    /// <c>&lt;svc&gt;.svc.&lt;domain&gt;</c> and <c>&lt;svc&gt;.&lt;domain&gt;</c> for a Service of the pod's namespace: the two other
    /// expansions of a bare Service name over the pod's search path. They answer NODATA instead of NXDOMAIN.
    /// busybox's nslookup (1.33 and later; the bundled image has 1.35) asks every expansion of a bare name
    /// and fails when any is NXDOMAIN, so the docs' <c>until nslookup myservice</c> would never end, as it
    /// does not on a real cluster (where the docs pin busybox:1.28). NODATA carries no address, and libc
    /// resolvers stop at the first expansion (<c>&lt;svc&gt;.&lt;ns&gt;.svc.&lt;domain&gt;</c>), so only such tools see it.
    /// </summary>
    private bool IsSearchSiblingOfAService(ReadOnlySpan<byte> name, Range label) =>
        Current().Find(_pod.Namespace, Text(name, label)) is not null;

    private Outcome ServiceRecord(string ns, string svc, Span<byte> ip, out string? target)
    {
        target = null;
        StoredService? service = Current().Find(ns, svc);
        if (service is null)
            return Outcome.NxDomain;
        if (service.Type == "ExternalName")
        {
            target = service.ExternalName;
            return target is null ? Outcome.NoData : Outcome.Cname;
        }
        if (service.IsHeadless)
        {
            // Endpoints are the ready pods the selector picks; on one host the only one with an address is this pod.
            bool selected = service.Selector.Count > 0 && ns == _pod.Namespace
                && service.Selector.All(kv => _pod.Labels.TryGetValue(kv.Key, out string? v) && v == kv.Value);
            if (!selected || !(service.PublishNotReadyAddresses || _pod.IsReady()))
                return Outcome.NxDomain;
            PodSelfAddress.CopyTo(ip);
            return Outcome.Address;
        }
        if (!ClusterIPRange.TryParse(service.ClusterIP, out uint address))
            return Outcome.NoData;
        BinaryPrimitives.WriteUInt32BigEndian(ip, address);
        return Outcome.Address;
    }

    /// <summary>&lt;hostname&gt;.&lt;subdomain&gt;.&lt;ns&gt;: this pod, when a headless Service named after its subdomain exists.</summary>
    private Outcome PodHostRecord(string ns, string subdomain, string hostname, Span<byte> ip)
    {
        if (ns != _pod.Namespace || _pod.Subdomain is null || subdomain != _pod.Subdomain || hostname != _pod.Hostname)
            return Outcome.NxDomain;
        if (Current().Find(ns, subdomain) is not { IsHeadless: true } service)
            return Outcome.NxDomain;
        if (!service.PublishNotReadyAddresses && !_pod.IsReady())
            return Outcome.NxDomain;
        PodSelfAddress.CopyTo(ip);
        return Outcome.Address;
    }

    /// <summary>d.c.b.a.in-addr.arpa inside the Service CIDR: PTR to the Service, NXDOMAIN for a free address.</summary>
    private Outcome Reverse(ReadOnlySpan<byte> name, ReadOnlySpan<Range> octetLabels, out string? target)
    {
        target = null;
        int n = octetLabels.Length;
        if (n is 0 or > 4)
            return Outcome.Forward;
        Span<byte> octets = stackalloc byte[4];
        for (int i = 0; i < n; i++)
        {
            // Labels run from the last octet to the first.
            if (!byte.TryParse(name[octetLabels[n - 1 - i]], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out octets[i]))
                return Outcome.Forward;
        }
        uint prefix = BinaryPrimitives.ReadUInt32BigEndian(octets);
        int bits = 8 * n;
        // Is this name inside 10.96.0.0/12? Only when its known octets agree with the CIDR.
        int common = Math.Min(bits, ClusterIPRange.PrefixLength);
        uint commonMask = ~(uint.MaxValue >> common);
        if ((prefix & commonMask) != (ClusterIPRange.Network & commonMask) || bits < ClusterIPRange.PrefixLength)
            return Outcome.Forward;
        if (bits < 32)
            return Outcome.NoData;
        StoredService? found = Current().FindByClusterIP(prefix);
        if (found is null)
            return Outcome.NxDomain;
        target = $"{found.Name}.{found.Namespace}.svc.{_domain}";
        return Outcome.Ptr;
    }

    private bool EndsWithDomain(ReadOnlySpan<byte> name, ReadOnlySpan<Range> labels)
    {
        int d = _domainLabels.Length;
        if (labels.Length < d)
            return false;
        for (int i = 0; i < d; i++)
            if (!DnsName.LabelIs(name[labels[labels.Length - d + i]], _domainLabels[i]))
                return false;
        return true;
    }

    private static bool ParseDashedIPv4(ReadOnlySpan<byte> label, Span<byte> ip)
    {
        int part = 0, value = 0, digits = 0;
        foreach (byte c in label)
        {
            if (c == (byte)'-')
            {
                if (digits == 0 || part == 3)
                    return false;
                ip[part++] = (byte)value;
                value = digits = 0;
                continue;
            }
            if (c is < (byte)'0' or > (byte)'9' || ++digits > 3)
                return false;
            value = value * 10 + (c - '0');
            if (value > 255)
                return false;
        }
        if (digits == 0 || part != 3)
            return false;
        ip[3] = (byte)value;
        return true;
    }

    private void AddSoa(ref DnsResponseBuilder response) =>
        response.AddSoa(_zone, Ttl, _soaMname, _soaRname, SoaSerial(), 7200, 1800, 86400, Ttl);

    private static uint SoaSerial() => (uint)DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    /// <summary>A label as a lowercase string (Kubernetes names are lowercase ASCII).</summary>
    private static string Text(ReadOnlySpan<byte> name, Range label)
    {
        ReadOnlySpan<byte> bytes = name[label];
        Span<char> chars = stackalloc char[bytes.Length];
        for (int i = 0; i < bytes.Length; i++)
            chars[i] = (char)DnsName.Lower(bytes[i]);
        return new string(chars);
    }

    private static byte[] Wire(string dotted)
    {
        Span<byte> buffer = stackalloc byte[DnsHeader.MaxNameLength];
        int length = DnsName.Encode(dotted, buffer);
        if (length < 0)
            throw new ArgumentException($"not a valid domain name: {dotted}", nameof(dotted));
        return buffer[..length].ToArray();
    }
}
