using PodShim.Manifest;

namespace PodShim.Runtime.Services;

/// <summary>What <see cref="ServiceStore.Apply"/> did, as <c>kubectl apply</c> reports it (created / unchanged / configured).</summary>
public enum ServiceApplyOutcome
{
    Created,
    Unchanged,
    Configured,
}

/// <summary>
/// A Service as stored under <c>&lt;root&gt;/services/</c>: the applied manifest plus what the API server
/// adds (uid, creationTimestamp, the allocated ClusterIP). <see cref="ClusterIP"/> is an IPv4 address,
/// <c>"None"</c> for a headless Service, or empty for an ExternalName Service (which has none).
/// </summary>
public sealed record StoredService(
    string Namespace,
    string Name,
    string Uid,
    DateTimeOffset CreationTimestamp,
    string Type,
    string ClusterIP,
    IReadOnlyList<ServicePort> Ports,
    IReadOnlyDictionary<string, string> Selector)
{
    public IReadOnlyDictionary<string, string> Labels { get; init; } = System.Collections.ObjectModel.ReadOnlyDictionary<string, string>.Empty;
    public IReadOnlyDictionary<string, string> Annotations { get; init; } = System.Collections.ObjectModel.ReadOnlyDictionary<string, string>.Empty;
    public IReadOnlyList<string> ExternalIPs { get; init; } = [];
    public string SessionAffinity { get; init; } = "None";
    public string? ExternalName { get; init; }
    public bool PublishNotReadyAddresses { get; init; }

    public bool IsHeadless => ClusterIP == ServiceStore.Headless;
}
