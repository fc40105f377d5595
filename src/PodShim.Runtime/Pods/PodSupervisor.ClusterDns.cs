using System.Net.Sockets;
using PodShim.Interop;
using PodShim.Runtime.ClusterDns;
using PodShim.Runtime.Services;
using PodShim.Runtime.State;

namespace PodShim.Runtime.Pods;

/// <summary>The pod's cluster DNS responder: started with each sandbox, stopped before it goes.</summary>
public sealed partial class PodSupervisor
{
    private readonly ServiceStore _services;
    private PodDnsServer? _clusterDns;

    /// <summary>Cluster DNS settings (`run --upstream-dns`); set before <see cref="Run"/>.</summary>
    public ClusterDnsOptions Dns { get; set; } = ClusterDnsOptions.Default;

    /// <summary>The running responder (null for a host-network pod, or when it could not start).</summary>
    public PodDnsServer? ClusterDnsServer => _clusterDns;

    private void StartClusterDns(PodSandbox sandbox)
    {
        foreach (string warning in sandbox.DnsWarnings)
            Record("Warning", "DNSConfigForming", warning);
        if (_pod.Spec.HostNetwork || sandbox.Holder is not { } holder)
            return;
        try
        {
            var identity = new DnsPodIdentity(_pod.Metadata.Namespace, _pod.Spec.Hostname ?? "", _pod.Spec.Subdomain, _pod.Metadata.Labels)
            {
                IsReady = () => Lifecycle.Status.Conditions.Any(c => c.Type == "Ready" && c.Status == "True"),
            };
            var resolver = new ClusterDnsResolver(new ServiceDirectoryView(_services), identity, Dns.ClusterDomain);
            var forwarder = new UpstreamForwarder(Dns.EffectiveUpstreams, Dns.ForwardBudget);
            _clusterDns = PodDnsServer.StartInPod(holder.Pidfd, Dns.ResolverAddress, new DnsRequestHandler(resolver), forwarder);
            StartupTrace.Mark("cluster DNS listening");
        }
        catch (Exception e) when (e is NativeException or SocketException or IOException)
        {
            // The pod still runs; only its lookups fail. Say why once, where `describe` shows it.
            Record("Warning", "ClusterDNSUnavailable", $"cluster DNS for this pod could not start: {e.Message}");
        }
    }

    private void StopClusterDns()
    {
        _clusterDns?.Dispose();
        _clusterDns = null;
    }
}
