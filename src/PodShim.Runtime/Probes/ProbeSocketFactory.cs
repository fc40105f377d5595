using System.Net.Sockets;

namespace PodShim.Runtime.Probes;

/// <summary>Opens a TCP socket for one probe connection and returns its raw descriptor (in the pod:
/// <c>NetnsSocket.OpenStream</c>, made inside the pod's network namespace). The prober owns the descriptor and
/// closes it with close(2) before the probe returns, on every path. Throws when no socket can be made (the pod's
/// network namespace is gone, descriptors ran out); the probe then reports an error.</summary>
/// <remarks>A raw fd rather than a Socket or SafeHandle: a probe owns its socket for exactly one call, so a
/// try/finally is all the ownership it needs, and the probe's hot path allocates nothing (a Socket with its
/// SafeSocketHandle was 176 B per probe).</remarks>
public delegate int ProbeSocketFactory(AddressFamily family);
