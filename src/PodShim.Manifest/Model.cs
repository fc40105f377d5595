namespace PodShim.Manifest;

/// <summary>A Kubernetes object read from a manifest: a <see cref="Pod"/> or a <see cref="Service"/>.</summary>
public abstract record KubeObject(string Kind, ObjectMeta Metadata)
{
    public string ApiVersion { get; init; } = "v1";
}

public sealed record Pod(ObjectMeta Metadata, PodSpec Spec) : KubeObject("Pod", Metadata);

public sealed record Service(ObjectMeta Metadata, ServiceSpec Spec) : KubeObject("Service", Metadata);

public sealed record ObjectMeta
{
    public string Name { get; init; } = "";
    public string? GenerateName { get; init; }
    public string Namespace { get; init; } = "default";
    public string Uid { get; init; } = Guid.NewGuid().ToString();
    public IReadOnlyDictionary<string, string> Labels { get; init; } = Empty.Map;
    public IReadOnlyDictionary<string, string> Annotations { get; init; } = Empty.Map;
}

public sealed record PodSpec
{
    public IReadOnlyList<Container> Containers { get; init; } = [];
    public IReadOnlyList<Container> InitContainers { get; init; } = [];
    /// <summary>Read so that validation can reject them as the API server does on create.</summary>
    public IReadOnlyList<Container> EphemeralContainers { get; init; } = [];
    public string RestartPolicy { get; init; } = "Always";
    public long TerminationGracePeriodSeconds { get; init; } = 30;
    public long? ActiveDeadlineSeconds { get; init; }
    public bool HostNetwork { get; init; }
    public bool HostPID { get; init; }
    public bool HostIPC { get; init; }
    public bool ShareProcessNamespace { get; init; }
    public string? Hostname { get; init; }
    public string? Subdomain { get; init; }
    public string DnsPolicy { get; init; } = "ClusterFirst";
    public string? NodeName { get; init; }
    public string ServiceAccountName { get; init; } = "default";
    public bool? AutomountServiceAccountToken { get; init; }
    public bool EnableServiceLinks { get; init; } = true;
    public IReadOnlyList<Volume> Volumes { get; init; } = [];
    public PodSecurityContext? SecurityContext { get; init; }
    /// <summary>Pod overhead (RuntimeClass); added to the effective resources.</summary>
    public IReadOnlyDictionary<string, Quantity> Overhead { get; init; } = Empty.Resources;
    public IReadOnlyDictionary<string, string> NodeSelector { get; init; } = Empty.Map;
    public IReadOnlyList<HostAlias> HostAliases { get; init; } = [];
    public PodDnsConfig? DnsConfig { get; init; }
    public bool? SetHostnameAsFqdn { get; init; }

    /// <summary>All containers: init containers (in order) then app containers.</summary>
    public IEnumerable<Container> AllContainers => InitContainers.Concat(Containers);
}

public sealed record HostAlias(string Ip, IReadOnlyList<string> Hostnames);

public sealed record PodDnsConfig
{
    public IReadOnlyList<string> Nameservers { get; init; } = [];
    public IReadOnlyList<string> Searches { get; init; } = [];
    public IReadOnlyList<PodDnsConfigOption> Options { get; init; } = [];
}

public sealed record PodDnsConfigOption(string Name, string? Value);

public sealed record Container
{
    public string Name { get; init; } = "";
    public string Image { get; init; } = "";
    public string ImagePullPolicy { get; init; } = "IfNotPresent";
    public IReadOnlyList<string>? Command { get; init; }
    public IReadOnlyList<string>? Args { get; init; }
    public string? WorkingDir { get; init; }
    public IReadOnlyList<EnvVar> Env { get; init; } = [];
    public IReadOnlyList<ContainerPort> Ports { get; init; } = [];
    public ResourceRequirements Resources { get; init; } = ResourceRequirements.None;
    public IReadOnlyList<VolumeMount> VolumeMounts { get; init; } = [];
    public Probe? LivenessProbe { get; init; }
    public Probe? ReadinessProbe { get; init; }
    public Probe? StartupProbe { get; init; }
    public Lifecycle? Lifecycle { get; init; }
    public SecurityContext? SecurityContext { get; init; }
    /// <summary>Only for init containers: <c>Always</c> makes it a native sidecar.</summary>
    public string? RestartPolicy { get; init; }
    public bool Stdin { get; init; }
    public bool StdinOnce { get; init; }
    public bool Tty { get; init; }
    public string TerminationMessagePath { get; init; } = "/dev/termination-log";
    public string TerminationMessagePolicy { get; init; } = "File";

    /// <summary>True for an init container with <c>restartPolicy: Always</c>.</summary>
    public bool IsSidecar => RestartPolicy == "Always";
}

public sealed record EnvVar(string Name, string? Value, EnvVarSource? ValueFrom);

public sealed record EnvVarSource
{
    public ObjectFieldSelector? FieldRef { get; init; }
    public ResourceFieldSelector? ResourceFieldRef { get; init; }
}

/// <summary><c>fieldRef</c>: <c>apiVersion</c> defaults to <c>v1</c>.</summary>
public sealed record ObjectFieldSelector(string ApiVersion, string FieldPath);

/// <summary><c>resourceFieldRef</c>: an unset (or zero) divisor is 1, as the kubelet takes it.</summary>
public sealed record ResourceFieldSelector(string? ContainerName, string Resource, Quantity Divisor);

public sealed record ContainerPort
{
    public string? Name { get; init; }
    /// <summary><c>containerPort</c>.</summary>
    public int Port { get; init; }
    public int HostPort { get; init; }
    public string Protocol { get; init; } = "TCP";
    public string? HostIP { get; init; }
}

public sealed record ResourceRequirements
{
    public static readonly ResourceRequirements None = new();
    public IReadOnlyDictionary<string, Quantity> Requests { get; init; } = Empty.Resources;
    public IReadOnlyDictionary<string, Quantity> Limits { get; init; } = Empty.Resources;
}

public sealed record VolumeMount(string Name, string MountPath, string? SubPath, bool ReadOnly)
{
    public string? MountPropagation { get; init; }
}

/// <summary>An int-or-string value (probe and service ports).</summary>
public readonly record struct IntOrString
{
    public int? IntValue { get; }
    public string? StringValue { get; }
    private IntOrString(int? i, string? s) { IntValue = i; StringValue = s; }
    public static IntOrString FromInt(int value) => new(value, null);
    public static IntOrString FromString(string value) => new(null, value);
    public bool IsInt => IntValue.HasValue;
    public override string ToString() => IntValue?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? StringValue ?? "";
}

public sealed record Probe
{
    public ExecAction? Exec { get; init; }
    public HttpGetAction? HttpGet { get; init; }
    public TcpSocketAction? TcpSocket { get; init; }
    public GrpcAction? Grpc { get; init; }
    public int InitialDelaySeconds { get; init; }
    public int TimeoutSeconds { get; init; } = 1;
    public int PeriodSeconds { get; init; } = 10;
    public int SuccessThreshold { get; init; } = 1;
    public int FailureThreshold { get; init; } = 3;
    public long? TerminationGracePeriodSeconds { get; init; }
}

public sealed record ExecAction(IReadOnlyList<string> Command);

public sealed record HttpGetAction
{
    public string Path { get; init; } = "/";
    public IntOrString Port { get; init; }
    public string? Host { get; init; }
    public string Scheme { get; init; } = "HTTP";
    public IReadOnlyList<HttpHeader> HttpHeaders { get; init; } = [];
}

public sealed record HttpHeader(string Name, string Value);

public sealed record TcpSocketAction(IntOrString Port, string? Host);

public sealed record GrpcAction(int Port, string? Service);

public sealed record SleepAction(long Seconds);

public sealed record Lifecycle
{
    public LifecycleHandler? PostStart { get; init; }
    public LifecycleHandler? PreStop { get; init; }
    public string? StopSignal { get; init; }
}

public sealed record LifecycleHandler
{
    public ExecAction? Exec { get; init; }
    public HttpGetAction? HttpGet { get; init; }
    public TcpSocketAction? TcpSocket { get; init; }
    public SleepAction? Sleep { get; init; }
}

public sealed record SecurityContext
{
    public long? RunAsUser { get; init; }
    public long? RunAsGroup { get; init; }
    public bool? RunAsNonRoot { get; init; }
    public bool? ReadOnlyRootFilesystem { get; init; }
    public bool? AllowPrivilegeEscalation { get; init; }
    public bool? Privileged { get; init; }
    public Capabilities? Capabilities { get; init; }
    public string? ProcMount { get; init; }
}

public sealed record Capabilities(IReadOnlyList<string> Add, IReadOnlyList<string> Drop);

public sealed record PodSecurityContext
{
    public long? RunAsUser { get; init; }
    public long? RunAsGroup { get; init; }
    public bool? RunAsNonRoot { get; init; }
    public long? FsGroup { get; init; }
    public string? FsGroupChangePolicy { get; init; }
    public IReadOnlyList<long> SupplementalGroups { get; init; } = [];
    public IReadOnlyList<Sysctl> Sysctls { get; init; } = [];
}

public sealed record Sysctl(string Name, string Value);

public sealed record Volume
{
    public string Name { get; init; } = "";
    public EmptyDirVolumeSource? EmptyDir { get; init; }
    public HostPathVolumeSource? HostPath { get; init; }
    public DownwardAPIVolumeSource? DownwardAPI { get; init; }
    public ProjectedVolumeSource? Projected { get; init; }
}

public sealed record EmptyDirVolumeSource(string Medium, Quantity? SizeLimit);

/// <summary><c>hostPath</c>; <see cref="Type"/> is "" when unset (no check).</summary>
public sealed record HostPathVolumeSource(string Path, string Type);

public sealed record DownwardAPIVolumeSource
{
    public IReadOnlyList<DownwardAPIVolumeFile> Items { get; init; } = [];
    public int DefaultMode { get; init; } = 420; // 0644
}

public sealed record DownwardAPIVolumeFile
{
    public string Path { get; init; } = "";
    public ObjectFieldSelector? FieldRef { get; init; }
    public ResourceFieldSelector? ResourceFieldRef { get; init; }
    public int? Mode { get; init; }
}

public sealed record ProjectedVolumeSource
{
    public IReadOnlyList<VolumeProjection> Sources { get; init; } = [];
    public int DefaultMode { get; init; } = 420;
}

public sealed record VolumeProjection
{
    public ServiceAccountTokenProjection? ServiceAccountToken { get; init; }
    public DownwardAPIProjection? DownwardAPI { get; init; }
}

public sealed record ServiceAccountTokenProjection(string? Audience, long ExpirationSeconds, string Path);

public sealed record DownwardAPIProjection(IReadOnlyList<DownwardAPIVolumeFile> Items);

public sealed record ServiceSpec
{
    public string Type { get; init; } = "ClusterIP";
    public IReadOnlyDictionary<string, string> Selector { get; init; } = Empty.Map;
    public IReadOnlyList<ServicePort> Ports { get; init; } = [];
    public string? ClusterIP { get; init; }
    public IReadOnlyList<string> ClusterIPs { get; init; } = [];
    public IReadOnlyList<string> ExternalIPs { get; init; } = [];
    public string SessionAffinity { get; init; } = "None";
    public string? ExternalName { get; init; }
    public bool PublishNotReadyAddresses { get; init; }
}

public sealed record ServicePort
{
    public string? Name { get; init; }
    public string Protocol { get; init; } = "TCP";
    public int Port { get; init; }
    public IntOrString TargetPort { get; init; }
    public int NodePort { get; init; }
    public string? AppProtocol { get; init; }
}

internal static class Empty
{
    public static readonly IReadOnlyDictionary<string, string> Map = System.Collections.ObjectModel.ReadOnlyDictionary<string, string>.Empty;
    public static readonly IReadOnlyDictionary<string, Quantity> Resources = System.Collections.ObjectModel.ReadOnlyDictionary<string, Quantity>.Empty;
}
