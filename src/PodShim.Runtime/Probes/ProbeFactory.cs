using PodShim.Interop;
using PodShim.Manifest;
using PodShim.Runtime.Probes.Http;

namespace PodShim.Runtime.Probes;

/// <summary>
/// The handler for one probe of a container attempt: HTTP, TCP and gRPC reach the pod's own
/// 127.0.0.1 (or the probe's host) through sockets made in the pod's network namespace; exec runs
/// in the container as its process does.
/// </summary>
public static class ProbeFactory
{
    public static Func<TimeSpan, ProbeResult> Create(Container container, Probe probe,
        ProbeSocketFactory podSocket, Func<ExecRequest?> execRequest)
    {
        if (probe.Exec is { } exec)
        {
            var prober = new ExecProber(execRequest);
            return prober.Probe;
        }
        if (probe.HttpGet is { } http)
        {
            var spec = new HttpProbeSpec(http.Scheme, string.IsNullOrEmpty(http.Host) ? "127.0.0.1" : http.Host,
                Port(container, http.Port), string.IsNullOrEmpty(http.Path) ? "/" : http.Path,
                http.HttpHeaders.Select(h => new KeyValuePair<string, string>(h.Name, h.Value)).ToList());
            var prober = new HttpProber(spec, podSocket);
            return prober.Probe;
        }
        if (probe.TcpSocket is { } tcp)
        {
            var prober = new TcpProber(string.IsNullOrEmpty(tcp.Host) ? "127.0.0.1" : tcp.Host, Port(container, tcp.Port), podSocket);
            return prober.Probe;
        }
        if (probe.Grpc is { } grpc)
        {
            var prober = new GrpcProber("127.0.0.1", grpc.Port, grpc.Service, podSocket);
            return prober.Probe;
        }
        return _ => new ProbeResult(ProbeOutcome.Error, "probe has no handler");
    }

    /// <summary>A port by number, or by the name of one of the container's ports.</summary>
    public static int Port(Container container, IntOrString port) =>
        port.IntValue is int number ? number
        : container.Ports.FirstOrDefault(p => p.Name == port.StringValue)?.Port
          ?? throw new InvalidOperationException($"port \"{port.StringValue}\" is not a port of container \"{container.Name}\"");
}
