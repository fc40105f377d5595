namespace PodShim.Runtime.Probes.Http;

/// <summary>
/// One httpGet probe as the kubelet builds its request (pkg/probe/http/request.go): the scheme (HTTP or HTTPS,
/// case-insensitive, empty = HTTP), the host to connect to (the pod IP unless httpGet.host is set), the resolved
/// port, the path, the custom headers in manifest order, and the kubelet version for User-Agent.
/// </summary>
public sealed record HttpProbeSpec(string Scheme, string Host, int Port, string Path,
    IReadOnlyList<KeyValuePair<string, string>> Headers, string KubeVersion = "1.33");
