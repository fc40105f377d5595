using System.Globalization;
using PodShim.Manifest;
using PodShim.Runtime.Services;
using PodShim.Runtime.Status;

namespace PodShim.Runtime.Kubectl;

/// <summary>The rows of `kubectl get services` (printers.go printService): NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE (+ SELECTOR).</summary>
public static class ServiceTable
{
    public static IReadOnlyList<string> Header(bool wide, bool withNamespace) =>
        [.. withNamespace ? ["NAMESPACE"] : Array.Empty<string>(), "NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE", .. wide ? ["SELECTOR"] : Array.Empty<string>()];

    public static IReadOnlyList<string> Row(StoredService s, DateTimeOffset now, bool wide, bool withNamespace, string namePrefix = "")
    {
        var cells = new List<string>(8);
        if (withNamespace)
            cells.Add(s.Namespace);
        string ports = string.Join(',', s.Ports.Select(PortText));
        cells.AddRange([namePrefix + s.Name, s.Type, s.ClusterIP.Length > 0 ? s.ClusterIP : "<none>", ExternalIP(s),
            ports.Length > 0 ? ports : "<none>", KubectlPrinter.TimestampSince(s.CreationTimestamp, now)]);
        if (wide)
            cells.Add(FormatLabels(s.Selector));
        return cells;
    }

    private static string PortText(ServicePort p) =>
        p.NodePort > 0
            ? $"{I(p.Port)}:{I(p.NodePort)}/{p.Protocol}"
            : $"{I(p.Port)}/{p.Protocol}";

    /// <summary>getServiceExternalIP (no load balancer status here: a LoadBalancer stays pending).</summary>
    private static string ExternalIP(StoredService s) => s.Type switch
    {
        "ClusterIP" or "NodePort" => s.ExternalIPs.Count > 0 ? string.Join(',', s.ExternalIPs) : "<none>",
        "LoadBalancer" => s.ExternalIPs.Count > 0 ? string.Join(',', s.ExternalIPs) : "<pending>",
        "ExternalName" => s.ExternalName ?? "",
        _ => "<unknown>",
    };

    /// <summary>labels.FormatLabels: sorted k=v joined by commas, or &lt;none&gt;.</summary>
    public static string FormatLabels(IReadOnlyDictionary<string, string> labels) =>
        labels.Count == 0 ? "<none>" : string.Join(',', labels.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}"));

    private static string I(int v) => v.ToString(CultureInfo.InvariantCulture);
}
