using System.Net;
using System.Net.Sockets;
using System.Text;
using PodShim.Interop;
using PodShim.Manifest;
using PodShim.Runtime.State;

namespace PodShim.Runtime.Services;

/// <summary>
/// The Service registry: one v1 Service JSON per Service at <c>&lt;root&gt;/services/&lt;namespace&gt;_&lt;name&gt;.json</c>,
/// written by temp file + rename so a reader (the CLI, a pod's DNS responder) never sees a torn file.
/// Writers take an flock on <c>services/.lock</c>, so two CLI processes never hand out the same ClusterIP.
/// Apply follows the API server: uid and creationTimestamp set once, the ClusterIP allocated on create
/// (or the requested one, checked), kept on update and immutable.
/// </summary>
public sealed class ServiceStore
{
    /// <summary>spec.clusterIP of a headless Service.</summary>
    public const string Headless = "None";

    private const string LockFileName = ".lock";
    private readonly StateLayout _layout;
    private readonly TimeProvider _time;
    private readonly Random _random;

    public ServiceStore(StateLayout layout) : this(layout, TimeProvider.System, Random.Shared) { }

    internal ServiceStore(StateLayout layout, TimeProvider time, Random random)
    {
        _layout = layout;
        _time = time;
        _random = random;
    }

    public string Directory => _layout.ServicesDirectory;

    public string PathOf(string @namespace, string name) => Path.Combine(Directory, $"{@namespace}_{name}.json");

    /// <summary>Creates or updates a Service. Throws <see cref="ServiceInvalidException"/> as the API server would refuse it.</summary>
    public ServiceApplyOutcome Apply(Service service)
    {
        ArgumentNullException.ThrowIfNull(service);
        ServiceValidation.ThrowIfInvalid(service);
        System.IO.Directory.CreateDirectory(Directory);
        using var serialised = FileLock.Acquire(Path.Combine(Directory, LockFileName));

        string ns = service.Metadata.Namespace, name = service.Metadata.Name;
        string path = PathOf(ns, name);
        string? existingText = ReadText(path);
        StoredService? existing = existingText is null ? null : ServiceJson.Parse(Encoding.UTF8.GetBytes(existingText));

        var spec = service.Spec;
        string? requested = spec.ClusterIP ?? (spec.ClusterIPs.Count > 0 ? spec.ClusterIPs[0] : null);
        string clusterIP;
        if (spec.Type == "ExternalName")
            clusterIP = ""; // an ExternalName Service has no ClusterIP: its name is a CNAME
        else if (existing is not null && existing.ClusterIP.Length > 0)
        {
            // kubectl apply leaves an unspecified clusterIP as allocated; a different one is refused.
            if (requested is not null && requested != existing.ClusterIP)
                throw Invalid(name, "spec.clusterIPs[0]", requested, "may not change once set");
            clusterIP = existing.ClusterIP;
        }
        else
            clusterIP = Allocate(name, requested, ns, name);

        var stored = new StoredService(ns, name,
            existing?.Uid ?? Guid.NewGuid().ToString(),
            existing?.CreationTimestamp ?? TruncateToSeconds(_time.GetUtcNow()),
            spec.Type, clusterIP, spec.Ports, spec.Selector)
        {
            Labels = service.Metadata.Labels,
            Annotations = service.Metadata.Annotations,
            ExternalIPs = spec.ExternalIPs,
            SessionAffinity = spec.SessionAffinity,
            ExternalName = spec.Type == "ExternalName" ? spec.ExternalName : null,
            PublishNotReadyAddresses = spec.PublishNotReadyAddresses,
        };
        string text = ServiceJson.Serialize(stored);
        if (existing is not null && text == existingText)
            return ServiceApplyOutcome.Unchanged;
        AtomicFile.WriteAllText(path, text);
        return existing is null ? ServiceApplyOutcome.Created : ServiceApplyOutcome.Configured;
    }

    /// <summary>The stored Services of one namespace (all namespaces when null), ordered by namespace then name.</summary>
    public IReadOnlyList<StoredService> List(string? @namespace = null)
    {
        var result = new List<StoredService>();
        string[] files;
        try
        {
            files = System.IO.Directory.GetFiles(Directory, @namespace is null ? "*.json" : $"{@namespace}_*.json");
        }
        catch (DirectoryNotFoundException)
        {
            return result;
        }
        foreach (string file in files)
        {
            if (!file.EndsWith(".json", StringComparison.Ordinal))
                continue; // GetFiles' pattern also matches longer extensions on some platforms
            if (ReadFile(file) is { } service && (@namespace is null || service.Namespace == @namespace))
                result.Add(service);
        }
        result.Sort((a, b) =>
        {
            int c = string.CompareOrdinal(a.Namespace, b.Namespace);
            return c != 0 ? c : string.CompareOrdinal(a.Name, b.Name);
        });
        return result;
    }

    public StoredService? Get(string @namespace, string name) => ReadFile(PathOf(@namespace, name));

    /// <summary>Removes a Service; false when there was none. Its ClusterIP is free again at once.</summary>
    public bool Delete(string @namespace, string name)
    {
        string path = PathOf(@namespace, name);
        if (!File.Exists(path))
            return false;
        using var serialised = FileLock.Acquire(Path.Combine(Directory, LockFileName));
        if (!File.Exists(path))
            return false;
        File.Delete(path);
        return true;
    }

    private string Allocate(string serviceName, string? requested, string ns, string name)
    {
        if (requested == Headless)
            return Headless;
        var used = new HashSet<uint>();
        foreach (var s in List())
            if (!(s.Namespace == ns && s.Name == name) && ClusterIPRange.TryParse(s.ClusterIP, out uint ip))
                used.Add(ip);
        used.Add(ClusterIPRange.KubernetesServiceAddress);
        used.Add(ClusterIPRange.DnsServiceAddress);

        if (requested is not null)
        {
            if (!IPAddress.TryParse(requested, out var address))
                throw Invalid(serviceName, "spec.clusterIPs[0]", requested, "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)");
            if (address.AddressFamily == AddressFamily.InterNetworkV6)
                throw Invalid(serviceName, "spec.clusterIPs[0]", requested, "IPv6 is not configured on this cluster");
            uint value = ClusterIPRange.ToUInt32(address);
            if (!ClusterIPRange.IsAllocatable(value))
                throw Invalid(serviceName, "spec.clusterIPs", requested,
                    $"failed to allocate IP {requested}: the provided IP ({requested}) is not in the valid range. The range of valid IPs is {ClusterIPRange.Cidr}");
            if (used.Contains(value))
                throw Invalid(serviceName, "spec.clusterIPs", requested, $"failed to allocate IP {requested}: provided IP is already allocated");
            return ClusterIPRange.Format(value);
        }
        return ClusterIPRange.Format(ClusterIPRange.AllocateDynamic(used, _random));
    }

    private static ServiceInvalidException Invalid(string serviceName, string field, string clusterIP, string detail)
    {
        // The API server reports the whole spec.clusterIPs list, printed as Go's %#v of a []string.
        string error = $"{field}: Invalid value: []string{{\"{clusterIP}\"}}: {detail}";
        return new ServiceInvalidException(PodValidation.FormatInvalid("Service", serviceName, [error]), [error]);
    }

    private static StoredService? ReadFile(string path)
    {
        try
        {
            return ServiceJson.Parse(File.ReadAllBytes(path));
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }
    }

    private static string? ReadText(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }

    private static DateTimeOffset TruncateToSeconds(DateTimeOffset t) =>
        new(t.UtcTicks - t.UtcTicks % TimeSpan.TicksPerSecond, TimeSpan.Zero);
}
