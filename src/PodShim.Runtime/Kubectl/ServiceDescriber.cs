using System.Globalization;
using PodShim.Manifest;
using PodShim.Runtime.Services;

namespace PodShim.Runtime.Kubectl;

/// <summary>`kubectl describe service` (describeService): addresses, ports and the endpoints of the ready pods it selects.</summary>
public static class ServiceDescriber
{
    /// <param name="endpoints">The IPs of the ready pods the Service selects.</param>
    public static string Describe(StoredService s, IReadOnlyList<string> endpoints)
    {
        var text = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        var tab = TabWriter.ForDescribe(text);
        var w = new PrefixWriter(tab);
        w.Write(0, $"Name:\t{s.Name}\n");
        w.Write(0, $"Namespace:\t{s.Namespace}\n");
        PodDescriber.PrintMap(w, "Labels", s.Labels);
        PodDescriber.PrintAnnotations(w, s.Annotations);
        w.Write(0, $"Selector:\t{ServiceTable.FormatLabels(s.Selector).Replace("<none>", "")}\n");
        w.Write(0, $"Type:\t{s.Type}\n");
        if (s.Type != "ExternalName")
        {
            w.Write(0, "IP Family Policy:\tSingleStack\n");
            w.Write(0, "IP Families:\tIPv4\n");
            w.Write(0, $"IP:\t{s.ClusterIP}\n");
            w.Write(0, $"IPs:\t{s.ClusterIP}\n");
        }
        if (s.ExternalIPs.Count > 0)
            w.Write(0, $"External IPs:\t{string.Join(',', s.ExternalIPs)}\n");
        if (s.ExternalName is { Length: > 0 } externalName)
            w.Write(0, $"External Name:\t{externalName}\n");
        foreach (ServicePort p in s.Ports)
        {
            string name = string.IsNullOrEmpty(p.Name) ? "<unset>" : p.Name;
            w.Write(0, $"Port:\t{name}\t{I(p.Port)}/{p.Protocol}\n");
            string target = p.TargetPort.IntValue is int t ? I(t) : p.TargetPort.StringValue ?? I(p.Port);
            w.Write(0, $"TargetPort:\t{target}/{p.Protocol}\n");
            if (p.NodePort != 0)
                w.Write(0, $"NodePort:\t{name}\t{I(p.NodePort)}/{p.Protocol}\n");
            // A named target port is resolved per pod by the endpoints controller: shown here as the bare IPs.
            string? port = p.TargetPort.IntValue is int tp ? I(tp) : p.TargetPort.StringValue is null ? I(p.Port) : null;
            string list = endpoints.Count == 0 ? "<none>"
                : string.Join(',', endpoints.Select(ip => port is null ? ip : $"{ip}:{port}"));
            w.Write(0, $"Endpoints:\t{list}\n");
        }
        w.Write(0, $"Session Affinity:\t{s.SessionAffinity}\n");
        w.Write(0, "Events:\t<none>\n");
        tab.Flush();
        return text.ToString();
    }

    private static string I(int v) => v.ToString(CultureInfo.InvariantCulture);
}
