using System.Text;
using PodShim.Manifest;

namespace PodShim.Runtime.Volumes;

/// <summary>The per-pod /etc files the kubelet and the runtime bind into every container.</summary>
public static class EtcFiles
{
    public const string ClusterDomain = "cluster.local";

    /// <summary>
    /// The pod has no address of its own on this host (its network namespace holds only loopback):
    /// the pod's hostname is given the Debian convention for a host without one, so it resolves
    /// inside the pod to the pod itself.
    /// </summary>
    public const string PodAddressStandIn = "127.0.1.1";

    /// <summary>kubelet managedHostsFileContent: the fixed header, the pod's own line (FQDN first when it
    /// has a subdomain), then the hostAliases section.</summary>
    public static string ManagedHosts(Pod pod, string hostname, IReadOnlyList<string> podIPs)
    {
        var sb = new StringBuilder();
        sb.Append("# Kubernetes-managed hosts file.\n");
        sb.Append("127.0.0.1\tlocalhost\n");
        sb.Append("::1\tlocalhost ip6-localhost ip6-loopback\n");
        sb.Append("fe00::0\tip6-localnet\n");
        sb.Append("fe00::0\tip6-mcastprefix\n");
        sb.Append("fe00::1\tip6-allnodes\n");
        sb.Append("fe00::2\tip6-allrouters\n");
        string? subdomain = pod.Spec.Subdomain;
        foreach (string ip in podIPs)
        {
            if (!string.IsNullOrEmpty(subdomain))
                sb.Append(ip).Append('\t').Append(hostname).Append('.').Append(subdomain).Append('.')
                  .Append(pod.Metadata.Namespace).Append(".svc.").Append(ClusterDomain).Append('\t').Append(hostname).Append('\n');
            else
                sb.Append(ip).Append('\t').Append(hostname).Append('\n');
        }
        sb.Append(HostAliases(pod));
        return sb.ToString();
    }

    /// <summary>kubelet nodeHostsFileContent for hostNetwork pods: the node's own hosts file, then the hostAliases section.</summary>
    public static string NodeHosts(Pod pod, string nodeHostsPath = "/etc/hosts")
    {
        string content = File.Exists(nodeHostsPath) ? File.ReadAllText(nodeHostsPath) : "";
        return content + HostAliases(pod);
    }

    private static string HostAliases(Pod pod)
    {
        if (pod.Spec.HostAliases.Count == 0)
            return "";
        var sb = new StringBuilder("\n# Entries added by HostAliases.\n");
        foreach (HostAlias alias in pod.Spec.HostAliases)
            sb.Append(alias.Ip).Append('\t').Append(string.Join('\t', alias.Hostnames)).Append('\n');
        return sb.ToString();
    }
}
