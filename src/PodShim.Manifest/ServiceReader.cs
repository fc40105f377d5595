using YamlDotNet.RepresentationModel;

namespace PodShim.Manifest;

/// <summary>Reads a v1 Service and applies its defaults (type ClusterIP, protocol TCP, targetPort = port).</summary>
internal static class ServiceReader
{
    private static string P(string path, string key) => NodeReader.Join(path, key);

    public static Service ReadService(NodeReader r, YamlMappingNode map, string path)
    {
        ObjectMeta meta = new();
        ServiceSpec spec = new();
        foreach (var (key, keyNode, value) in r.Fields(map, path))
        {
            switch (key)
            {
                case "apiVersion" or "kind" or "status": break;
                case "metadata": meta = PodReader.ReadMeta(r, value, P(path, key)); break;
                case "spec": spec = ReadSpec(r, value, P(path, key)); break;
                default: r.UnknownField(keyNode, path, key); break;
            }
        }
        return new Service(meta, spec);
    }

    private static string? NonEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;

    private static ServiceSpec ReadSpec(NodeReader r, YamlNode node, string path)
    {
        var spec = new ServiceSpec();
        var map = r.Map(node, path);
        if (map is null) return spec;
        foreach (var (key, keyNode, v) in r.Fields(map, path))
        {
            string fp = P(path, key);
            switch (key)
            {
                case "type": spec = spec with { Type = NonEmpty(r.String(v, fp)) ?? "ClusterIP" }; break;
                case "selector": spec = spec with { Selector = r.StringMap(v, fp) }; break;
                case "ports": spec = spec with { Ports = r.List(v, fp, (n, p) => ReadPort(r, n, p)) }; break;
                case "clusterIP": spec = spec with { ClusterIP = NonEmpty(r.String(v, fp)) }; break;
                case "clusterIPs": spec = spec with { ClusterIPs = r.StringList(v, fp) ?? [] }; break;
                case "externalIPs": spec = spec with { ExternalIPs = r.StringList(v, fp) ?? [] }; break;
                case "sessionAffinity": spec = spec with { SessionAffinity = NonEmpty(r.String(v, fp)) ?? "None" }; break;
                case "externalName": spec = spec with { ExternalName = NonEmpty(r.String(v, fp)) }; break;
                case "publishNotReadyAddresses": spec = spec with { PublishNotReadyAddresses = r.Bool(v, fp) ?? false }; break;
                case "ipFamilies" or "ipFamilyPolicy" or "externalTrafficPolicy" or "internalTrafficPolicy" or "loadBalancerIP"
                    or "loadBalancerSourceRanges" or "sessionAffinityConfig" or "allocateLoadBalancerNodePorts"
                    or "healthCheckNodePort" or "loadBalancerClass" or "trafficDistribution":
                    break; // cluster networking details: accepted and ignored on one host
                default: r.UnknownField(keyNode, path, key); break;
            }
        }
        return spec;
    }

    private static ServicePort? ReadPort(NodeReader r, YamlNode node, string path)
    {
        var map = r.Map(node, path);
        if (map is null) return null;
        var port = new ServicePort();
        IntOrString? target = null;
        foreach (var (key, keyNode, v) in r.Fields(map, path))
        {
            string fp = P(path, key);
            switch (key)
            {
                case "name": port = port with { Name = NonEmpty(r.String(v, fp)) }; break;
                case "protocol": port = port with { Protocol = NonEmpty(r.String(v, fp)) ?? "TCP" }; break;
                case "port": port = port with { Port = r.Int32(v, fp) ?? 0 }; break;
                case "targetPort": target = r.IntOrString(v, fp); break;
                case "nodePort": port = port with { NodePort = r.Int32(v, fp) ?? 0 }; break;
                case "appProtocol": port = port with { AppProtocol = NonEmpty(r.String(v, fp)) }; break;
                default: r.UnknownField(keyNode, path, key); break;
            }
        }
        // SetDefaults_Service: an unset (0 or "") targetPort is the port.
        if (target is null || target.Value.IntValue == 0 || target.Value.StringValue == "")
            target = IntOrString.FromInt(port.Port);
        return port with { TargetPort = target.Value };
    }
}
