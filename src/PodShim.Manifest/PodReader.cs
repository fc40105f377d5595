using YamlDotNet.RepresentationModel;

namespace PodShim.Manifest;

/// <summary>Reads a v1 Pod from a YAML tree and applies pkg/apis/core/v1/defaults.go.</summary>
internal static class PodReader
{
    private static string P(string path, string key) => NodeReader.Join(path, key);

    public static Pod ReadPod(NodeReader r, YamlMappingNode map, string path)
    {
        ObjectMeta meta = new();
        PodSpec spec = new();
        foreach (var (key, keyNode, value) in r.Fields(map, path))
        {
            switch (key)
            {
                case "apiVersion" or "kind":
                    break;
                case "metadata":
                    meta = ReadMeta(r, value, P(path, key));
                    break;
                case "spec":
                    spec = ReadPodSpec(r, value, P(path, key));
                    break;
                case "status":
                    // Output of `kubectl get -o yaml`: ignored on create, as the API server does.
                    break;
                default:
                    r.UnknownField(keyNode, path, key);
                    break;
            }
        }
        return new Pod(meta, spec);
    }

    public static ObjectMeta ReadMeta(NodeReader r, YamlNode node, string path)
    {
        var meta = new ObjectMeta();
        var map = r.Map(node, path);
        if (map is null) return meta;
        foreach (var (key, keyNode, value) in r.Fields(map, path))
        {
            string fp = P(path, key);
            switch (key)
            {
                case "name": meta = meta with { Name = r.String(value, fp) ?? "" }; break;
                case "generateName": meta = meta with { GenerateName = r.String(value, fp) }; break;
                case "namespace":
                    string? ns = r.String(value, fp);
                    if (!string.IsNullOrEmpty(ns)) meta = meta with { Namespace = ns };
                    break;
                case "uid":
                    string? uid = r.String(value, fp);
                    if (!string.IsNullOrEmpty(uid)) meta = meta with { Uid = uid };
                    break;
                case "labels": meta = meta with { Labels = r.StringMap(value, fp) }; break;
                case "annotations": meta = meta with { Annotations = r.StringMap(value, fp) }; break;
                // Set by the server; accepted and ignored as on create.
                case "creationTimestamp" or "resourceVersion" or "generation" or "selfLink" or "managedFields"
                    or "ownerReferences" or "finalizers" or "deletionTimestamp" or "deletionGracePeriodSeconds":
                    break;
                default:
                    r.UnknownField(keyNode, path, key);
                    break;
            }
        }
        // The API server generates the name before validation: generateName + 5 random characters.
        if (meta.Name.Length == 0 && !string.IsNullOrEmpty(meta.GenerateName))
            meta = meta with { Name = meta.GenerateName + RandomSuffix(5) };
        return meta;
    }

    private static string RandomSuffix(int n)
    {
        const string alphabet = "bcdfghjklmnpqrstvwxz2456789"; // utilrand.String's alphabet
        return string.Create(n, 0, (span, _) =>
        {
            for (int i = 0; i < span.Length; i++) span[i] = alphabet[System.Security.Cryptography.RandomNumberGenerator.GetInt32(alphabet.Length)];
        });
    }

    public static PodSpec ReadPodSpec(NodeReader r, YamlNode node, string path)
    {
        var spec = new PodSpec();
        var map = r.Map(node, path);
        if (map is null) return spec;
        string? serviceAccount = null;
        foreach (var (key, keyNode, value) in r.Fields(map, path))
        {
            string fp = P(path, key);
            switch (key)
            {
                case "containers": spec = spec with { Containers = r.List(value, fp, (n, p) => ReadContainer(r, n, p, ContainerKind.App)) }; break;
                case "initContainers": spec = spec with { InitContainers = r.List(value, fp, (n, p) => ReadContainer(r, n, p, ContainerKind.Init)) }; break;
                case "ephemeralContainers": spec = spec with { EphemeralContainers = r.List(value, fp, (n, p) => ReadContainer(r, n, p, ContainerKind.Ephemeral)) }; break;
                case "restartPolicy": spec = spec with { RestartPolicy = NonEmpty(r.String(value, fp)) ?? "Always" }; break;
                case "terminationGracePeriodSeconds": spec = spec with { TerminationGracePeriodSeconds = r.Int(value, fp) ?? 30 }; break;
                case "activeDeadlineSeconds": spec = spec with { ActiveDeadlineSeconds = r.Int(value, fp) }; break;
                case "hostNetwork": spec = spec with { HostNetwork = r.Bool(value, fp) ?? false }; break;
                case "hostPID": spec = spec with { HostPID = r.Bool(value, fp) ?? false }; break;
                case "hostIPC": spec = spec with { HostIPC = r.Bool(value, fp) ?? false }; break;
                case "shareProcessNamespace": spec = spec with { ShareProcessNamespace = r.Bool(value, fp) ?? false }; break;
                case "hostname": spec = spec with { Hostname = NonEmpty(r.String(value, fp)) }; break;
                case "subdomain": spec = spec with { Subdomain = NonEmpty(r.String(value, fp)) }; break;
                case "setHostnameAsFQDN": spec = spec with { SetHostnameAsFqdn = r.Bool(value, fp) }; break;
                case "dnsPolicy": spec = spec with { DnsPolicy = NonEmpty(r.String(value, fp)) ?? "ClusterFirst" }; break;
                case "dnsConfig": spec = spec with { DnsConfig = ReadDnsConfig(r, value, fp) }; break;
                case "hostAliases": spec = spec with { HostAliases = r.List(value, fp, (n, p) => ReadHostAlias(r, n, p)) }; break;
                case "nodeName": spec = spec with { NodeName = NonEmpty(r.String(value, fp)) }; break;
                case "nodeSelector": spec = spec with { NodeSelector = r.StringMap(value, fp) }; break;
                case "serviceAccountName":
                    string? san = NonEmpty(r.String(value, fp));
                    if (san is not null) spec = spec with { ServiceAccountName = san };
                    break;
                case "serviceAccount": serviceAccount = NonEmpty(r.String(value, fp)); break; // deprecated alias
                case "automountServiceAccountToken": spec = spec with { AutomountServiceAccountToken = r.Bool(value, fp) }; break;
                case "enableServiceLinks": spec = spec with { EnableServiceLinks = r.Bool(value, fp) ?? true }; break;
                case "volumes": spec = spec with { Volumes = r.List(value, fp, (n, p) => ReadVolume(r, n, p)) }; break;
                case "securityContext": spec = spec with { SecurityContext = ReadPodSecurityContext(r, value, fp) }; break;
                case "overhead": spec = spec with { Overhead = r.ResourceList(value, fp) }; break;
                // Scheduling and cluster-level fields: meaningless on one host, accepted and ignored.
                case "affinity" or "tolerations" or "schedulerName" or "priority" or "priorityClassName"
                    or "preemptionPolicy" or "topologySpreadConstraints" or "imagePullSecrets" or "readinessGates"
                    or "schedulingGates" or "os" or "runtimeClassName":
                    break;
                case "resources" or "resourceClaims" or "hostUsers" or "resizePolicy":
                    r.Unsupported(keyNode, path, key, "not supported by podshim");
                    break;
                default:
                    r.UnknownField(keyNode, path, key);
                    break;
            }
        }
        if (spec.ServiceAccountName == "default" && serviceAccount is not null)
            spec = spec with { ServiceAccountName = serviceAccount };

        // SetDefaults_Pod: hostNetwork pods default hostPort to containerPort.
        if (spec.HostNetwork)
        {
            spec = spec with
            {
                Containers = DefaultHostPorts(spec.Containers),
                InitContainers = DefaultHostPorts(spec.InitContainers),
            };
        }
        return spec;
    }

    private static IReadOnlyList<Container> DefaultHostPorts(IReadOnlyList<Container> containers) =>
        containers.Select(c => c.Ports.Count == 0 ? c : c with
        {
            Ports = c.Ports.Select(p => p.HostPort == 0 ? p with { HostPort = p.Port } : p).ToList(),
        }).ToList();

    private static string? NonEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;

    private static PodDnsConfig? ReadDnsConfig(NodeReader r, YamlNode node, string path)
    {
        var map = r.Map(node, path);
        if (map is null) return null;
        var cfg = new PodDnsConfig();
        foreach (var (key, keyNode, value) in r.Fields(map, path))
        {
            string fp = P(path, key);
            switch (key)
            {
                case "nameservers": cfg = cfg with { Nameservers = r.StringList(value, fp) ?? [] }; break;
                case "searches": cfg = cfg with { Searches = r.StringList(value, fp) ?? [] }; break;
                case "options":
                    cfg = cfg with
                    {
                        Options = r.List(value, fp, (n, p) =>
                        {
                            string name = "";
                            string? v = null;
                            var m = r.Map(n, p);
                            if (m is null) return null;
                            foreach (var (k2, kn2, v2) in r.Fields(m, p))
                            {
                                if (k2 == "name") name = r.String(v2, P(p, k2)) ?? "";
                                else if (k2 == "value") v = r.String(v2, P(p, k2));
                                else r.UnknownField(kn2, p, k2);
                            }
                            return new PodDnsConfigOption(name, v);
                        }),
                    };
                    break;
                default: r.UnknownField(keyNode, path, key); break;
            }
        }
        return cfg;
    }

    private static HostAlias? ReadHostAlias(NodeReader r, YamlNode node, string path)
    {
        var map = r.Map(node, path);
        if (map is null) return null;
        string ip = "";
        IReadOnlyList<string> names = [];
        foreach (var (key, keyNode, value) in r.Fields(map, path))
        {
            if (key == "ip") ip = r.String(value, P(path, key)) ?? "";
            else if (key == "hostnames") names = r.StringList(value, P(path, key)) ?? [];
            else r.UnknownField(keyNode, path, key);
        }
        return new HostAlias(ip, names);
    }

    internal enum ContainerKind { App, Init, Ephemeral }

    public static Container? ReadContainer(NodeReader r, YamlNode node, string path, ContainerKind kind)
    {
        var map = r.Map(node, path);
        if (map is null) return null;
        var c = new Container();
        bool pullPolicySet = false;
        foreach (var (key, keyNode, value) in r.Fields(map, path))
        {
            string fp = P(path, key);
            switch (key)
            {
                case "name": c = c with { Name = r.String(value, fp) ?? "" }; break;
                case "image": c = c with { Image = r.String(value, fp) ?? "" }; break;
                case "imagePullPolicy":
                    string? ipp = NonEmpty(r.String(value, fp));
                    if (ipp is not null) { c = c with { ImagePullPolicy = ipp }; pullPolicySet = true; }
                    break;
                case "command": c = c with { Command = r.StringList(value, fp) }; break;
                case "args": c = c with { Args = r.StringList(value, fp) }; break;
                case "workingDir": c = c with { WorkingDir = NonEmpty(r.String(value, fp)) }; break;
                case "env": c = c with { Env = r.List(value, fp, (n, p) => ReadEnvVar(r, n, p)) }; break;
                case "ports": c = c with { Ports = r.List(value, fp, (n, p) => ReadContainerPort(r, n, p)) }; break;
                case "resources": c = c with { Resources = ReadResources(r, value, fp) }; break;
                case "volumeMounts": c = c with { VolumeMounts = r.List(value, fp, (n, p) => ReadVolumeMount(r, n, p)) }; break;
                case "livenessProbe": c = c with { LivenessProbe = ReadProbe(r, value, fp) }; break;
                case "readinessProbe": c = c with { ReadinessProbe = ReadProbe(r, value, fp) }; break;
                case "startupProbe": c = c with { StartupProbe = ReadProbe(r, value, fp) }; break;
                case "lifecycle": c = c with { Lifecycle = ReadLifecycle(r, value, fp) }; break;
                case "securityContext": c = c with { SecurityContext = ReadSecurityContext(r, value, fp) }; break;
                case "restartPolicy": c = c with { RestartPolicy = NonEmpty(r.String(value, fp)) }; break;
                case "stdin": c = c with { Stdin = r.Bool(value, fp) ?? false }; break;
                case "stdinOnce": c = c with { StdinOnce = r.Bool(value, fp) ?? false }; break;
                case "tty": c = c with { Tty = r.Bool(value, fp) ?? false }; break;
                case "terminationMessagePath": c = c with { TerminationMessagePath = NonEmpty(r.String(value, fp)) ?? "/dev/termination-log" }; break;
                case "terminationMessagePolicy": c = c with { TerminationMessagePolicy = NonEmpty(r.String(value, fp)) ?? "File" }; break;
                case "targetContainerName" when kind == ContainerKind.Ephemeral: break;
                case "resizePolicy":
                    break; // in-place resize: nothing to do on one host
                case "envFrom":
                    r.Unsupported(keyNode, path, key, "not supported by podshim (no ConfigMaps or Secrets on a single host)");
                    break;
                case "volumeDevices":
                    r.Unsupported(keyNode, path, key, "not supported by podshim");
                    break;
                default:
                    r.UnknownField(keyNode, path, key);
                    break;
            }
        }
        if (!pullPolicySet) c = c with { ImagePullPolicy = DefaultPullPolicy(c.Image) };
        // SetDefaults_Pod: requests default to limits when unset.
        if (c.Resources.Limits.Count > 0)
        {
            var requests = new Dictionary<string, Quantity>(c.Resources.Requests, StringComparer.Ordinal);
            foreach (var (name, q) in c.Resources.Limits) requests.TryAdd(name, q);
            c = c with { Resources = c.Resources with { Requests = requests } };
        }
        return c;
    }

    /// <summary>SetDefaults_Container: <c>Always</c> for the tag <c>latest</c> (also implied when there is
    /// neither tag nor digest), else <c>IfNotPresent</c>.</summary>
    public static string DefaultPullPolicy(string image)
    {
        string? tag = ImageReference.TagOf(image, out bool parsed);
        return parsed && tag == "latest" ? "Always" : "IfNotPresent";
    }

    private static EnvVar? ReadEnvVar(NodeReader r, YamlNode node, string path)
    {
        var map = r.Map(node, path);
        if (map is null) return null;
        string name = "";
        string? value = null;
        EnvVarSource? from = null;
        foreach (var (key, keyNode, v) in r.Fields(map, path))
        {
            string fp = P(path, key);
            switch (key)
            {
                case "name": name = r.String(v, fp) ?? ""; break;
                case "value": value = r.String(v, fp); break;
                case "valueFrom": from = ReadEnvVarSource(r, v, fp); break;
                default: r.UnknownField(keyNode, path, key); break;
            }
        }
        return new EnvVar(name, value, from);
    }

    private static EnvVarSource? ReadEnvVarSource(NodeReader r, YamlNode node, string path)
    {
        var map = r.Map(node, path);
        if (map is null) return null;
        var src = new EnvVarSource();
        foreach (var (key, keyNode, v) in r.Fields(map, path))
        {
            string fp = P(path, key);
            switch (key)
            {
                case "fieldRef": src = src with { FieldRef = ReadFieldRef(r, v, fp) }; break;
                case "resourceFieldRef": src = src with { ResourceFieldRef = ReadResourceFieldRef(r, v, fp) }; break;
                case "configMapKeyRef" or "secretKeyRef" or "fileKeyRef":
                    r.Unsupported(keyNode, path, key, "not supported by podshim (no ConfigMaps or Secrets on a single host)");
                    break;
                default: r.UnknownField(keyNode, path, key); break;
            }
        }
        return src;
    }

    private static ObjectFieldSelector? ReadFieldRef(NodeReader r, YamlNode node, string path)
    {
        var map = r.Map(node, path);
        if (map is null) return null;
        string apiVersion = "v1", fieldPath = "";
        foreach (var (key, keyNode, v) in r.Fields(map, path))
        {
            string fp = P(path, key);
            switch (key)
            {
                case "apiVersion": apiVersion = NonEmpty(r.String(v, fp)) ?? "v1"; break;
                case "fieldPath": fieldPath = r.String(v, fp) ?? ""; break;
                default: r.UnknownField(keyNode, path, key); break;
            }
        }
        return new ObjectFieldSelector(apiVersion, fieldPath);
    }

    private static ResourceFieldSelector? ReadResourceFieldRef(NodeReader r, YamlNode node, string path)
    {
        var map = r.Map(node, path);
        if (map is null) return null;
        string? containerName = null;
        string resource = "";
        Quantity? divisor = null;
        foreach (var (key, keyNode, v) in r.Fields(map, path))
        {
            string fp = P(path, key);
            switch (key)
            {
                case "containerName": containerName = NonEmpty(r.String(v, fp)); break;
                case "resource": resource = r.String(v, fp) ?? ""; break;
                case "divisor": divisor = r.Quantity(v, fp); break;
                default: r.UnknownField(keyNode, path, key); break;
            }
        }
        return new ResourceFieldSelector(containerName, resource, divisor is null || divisor.Value.IsZero ? Quantity.FromInt64(1) : divisor.Value);
    }

    private static ContainerPort? ReadContainerPort(NodeReader r, YamlNode node, string path)
    {
        var map = r.Map(node, path);
        if (map is null) return null;
        var port = new ContainerPort();
        foreach (var (key, keyNode, v) in r.Fields(map, path))
        {
            string fp = P(path, key);
            switch (key)
            {
                case "name": port = port with { Name = NonEmpty(r.String(v, fp)) }; break;
                case "containerPort": port = port with { Port = r.Int32(v, fp) ?? 0 }; break;
                case "hostPort": port = port with { HostPort = r.Int32(v, fp) ?? 0 }; break;
                case "protocol": port = port with { Protocol = NonEmpty(r.String(v, fp)) ?? "TCP" }; break;
                case "hostIP": port = port with { HostIP = NonEmpty(r.String(v, fp)) }; break;
                default: r.UnknownField(keyNode, path, key); break;
            }
        }
        return port;
    }

    private static ResourceRequirements ReadResources(NodeReader r, YamlNode node, string path)
    {
        var map = r.Map(node, path);
        if (map is null) return ResourceRequirements.None;
        var res = new ResourceRequirements();
        foreach (var (key, keyNode, v) in r.Fields(map, path))
        {
            string fp = P(path, key);
            switch (key)
            {
                case "requests": res = res with { Requests = r.ResourceList(v, fp) }; break;
                case "limits": res = res with { Limits = r.ResourceList(v, fp) }; break;
                case "claims": r.Unsupported(keyNode, path, key, "not supported by podshim"); break;
                default: r.UnknownField(keyNode, path, key); break;
            }
        }
        return res;
    }

    private static VolumeMount? ReadVolumeMount(NodeReader r, YamlNode node, string path)
    {
        var map = r.Map(node, path);
        if (map is null) return null;
        string name = "", mountPath = "";
        string? subPath = null, propagation = null;
        bool readOnly = false;
        foreach (var (key, keyNode, v) in r.Fields(map, path))
        {
            string fp = P(path, key);
            switch (key)
            {
                case "name": name = r.String(v, fp) ?? ""; break;
                case "mountPath": mountPath = r.String(v, fp) ?? ""; break;
                case "subPath": subPath = NonEmpty(r.String(v, fp)); break;
                case "readOnly": readOnly = r.Bool(v, fp) ?? false; break;
                case "mountPropagation": propagation = NonEmpty(r.String(v, fp)); break;
                case "subPathExpr" or "recursiveReadOnly":
                    r.Unsupported(keyNode, path, key, "not supported by podshim");
                    break;
                default: r.UnknownField(keyNode, path, key); break;
            }
        }
        return new VolumeMount(name, mountPath, subPath, readOnly) { MountPropagation = propagation };
    }

    private static Probe? ReadProbe(NodeReader r, YamlNode node, string path)
    {
        var map = r.Map(node, path);
        if (map is null) return null;
        var probe = new Probe();
        foreach (var (key, keyNode, v) in r.Fields(map, path))
        {
            string fp = P(path, key);
            switch (key)
            {
                case "exec": probe = probe with { Exec = ReadExec(r, v, fp) }; break;
                case "httpGet": probe = probe with { HttpGet = ReadHttpGet(r, v, fp) }; break;
                case "tcpSocket": probe = probe with { TcpSocket = ReadTcpSocket(r, v, fp) }; break;
                case "grpc": probe = probe with { Grpc = ReadGrpc(r, v, fp) }; break;
                // SetDefaults_Probe: zero (unset) takes the default.
                case "initialDelaySeconds": probe = probe with { InitialDelaySeconds = r.Int32(v, fp) ?? 0 }; break;
                case "timeoutSeconds": probe = probe with { TimeoutSeconds = OrDefault(r.Int32(v, fp), 1) }; break;
                case "periodSeconds": probe = probe with { PeriodSeconds = OrDefault(r.Int32(v, fp), 10) }; break;
                case "successThreshold": probe = probe with { SuccessThreshold = OrDefault(r.Int32(v, fp), 1) }; break;
                case "failureThreshold": probe = probe with { FailureThreshold = OrDefault(r.Int32(v, fp), 3) }; break;
                case "terminationGracePeriodSeconds": probe = probe with { TerminationGracePeriodSeconds = r.Int(v, fp) }; break;
                default: r.UnknownField(keyNode, path, key); break;
            }
        }
        return probe;
    }

    private static int OrDefault(int? value, int def) => value is null or 0 ? def : value.Value;

    private static ExecAction? ReadExec(NodeReader r, YamlNode node, string path)
    {
        var map = r.Map(node, path);
        if (map is null) return null;
        IReadOnlyList<string> command = [];
        foreach (var (key, keyNode, v) in r.Fields(map, path))
        {
            if (key == "command") command = r.StringList(v, P(path, key)) ?? [];
            else r.UnknownField(keyNode, path, key);
        }
        return new ExecAction(command);
    }

    private static HttpGetAction? ReadHttpGet(NodeReader r, YamlNode node, string path)
    {
        var map = r.Map(node, path);
        if (map is null) return null;
        var a = new HttpGetAction();
        foreach (var (key, keyNode, v) in r.Fields(map, path))
        {
            string fp = P(path, key);
            switch (key)
            {
                case "path": a = a with { Path = NonEmpty(r.String(v, fp)) ?? "/" }; break;
                case "port": a = a with { Port = r.IntOrString(v, fp) ?? default }; break;
                case "host": a = a with { Host = NonEmpty(r.String(v, fp)) }; break;
                case "scheme": a = a with { Scheme = NonEmpty(r.String(v, fp)) ?? "HTTP" }; break;
                case "httpHeaders":
                    a = a with
                    {
                        HttpHeaders = r.List(v, fp, (n, p) =>
                        {
                            var m = r.Map(n, p);
                            if (m is null) return null;
                            string name = "", value = "";
                            foreach (var (k2, kn2, v2) in r.Fields(m, p))
                            {
                                if (k2 == "name") name = r.String(v2, P(p, k2)) ?? "";
                                else if (k2 == "value") value = r.String(v2, P(p, k2)) ?? "";
                                else r.UnknownField(kn2, p, k2);
                            }
                            return new HttpHeader(name, value);
                        }),
                    };
                    break;
                default: r.UnknownField(keyNode, path, key); break;
            }
        }
        return a;
    }

    private static TcpSocketAction? ReadTcpSocket(NodeReader r, YamlNode node, string path)
    {
        var map = r.Map(node, path);
        if (map is null) return null;
        IntOrString port = default;
        string? host = null;
        foreach (var (key, keyNode, v) in r.Fields(map, path))
        {
            string fp = P(path, key);
            if (key == "port") port = r.IntOrString(v, fp) ?? default;
            else if (key == "host") host = NonEmpty(r.String(v, fp));
            else r.UnknownField(keyNode, path, key);
        }
        return new TcpSocketAction(port, host);
    }

    private static GrpcAction? ReadGrpc(NodeReader r, YamlNode node, string path)
    {
        var map = r.Map(node, path);
        if (map is null) return null;
        int port = 0;
        string? service = null;
        foreach (var (key, keyNode, v) in r.Fields(map, path))
        {
            string fp = P(path, key);
            if (key == "port") port = r.Int32(v, fp) ?? 0;
            else if (key == "service") service = r.String(v, fp);
            else r.UnknownField(keyNode, path, key);
        }
        return new GrpcAction(port, service);
    }

    private static Lifecycle? ReadLifecycle(NodeReader r, YamlNode node, string path)
    {
        var map = r.Map(node, path);
        if (map is null) return null;
        var l = new Lifecycle();
        foreach (var (key, keyNode, v) in r.Fields(map, path))
        {
            string fp = P(path, key);
            switch (key)
            {
                case "postStart": l = l with { PostStart = ReadHandler(r, v, fp) }; break;
                case "preStop": l = l with { PreStop = ReadHandler(r, v, fp) }; break;
                case "stopSignal": l = l with { StopSignal = NonEmpty(r.String(v, fp)) }; break;
                default: r.UnknownField(keyNode, path, key); break;
            }
        }
        return l;
    }

    private static LifecycleHandler? ReadHandler(NodeReader r, YamlNode node, string path)
    {
        var map = r.Map(node, path);
        if (map is null) return null;
        var h = new LifecycleHandler();
        foreach (var (key, keyNode, v) in r.Fields(map, path))
        {
            string fp = P(path, key);
            switch (key)
            {
                case "exec": h = h with { Exec = ReadExec(r, v, fp) }; break;
                case "httpGet": h = h with { HttpGet = ReadHttpGet(r, v, fp) }; break;
                case "tcpSocket": h = h with { TcpSocket = ReadTcpSocket(r, v, fp) }; break;
                case "sleep":
                    var m = r.Map(v, fp);
                    if (m is null) break;
                    long seconds = 0;
                    foreach (var (k2, kn2, v2) in r.Fields(m, fp))
                    {
                        if (k2 == "seconds") seconds = r.Int(v2, P(fp, k2)) ?? 0;
                        else r.UnknownField(kn2, fp, k2);
                    }
                    h = h with { Sleep = new SleepAction(seconds) };
                    break;
                default: r.UnknownField(keyNode, path, key); break;
            }
        }
        return h;
    }

    private static SecurityContext? ReadSecurityContext(NodeReader r, YamlNode node, string path)
    {
        var map = r.Map(node, path);
        if (map is null) return null;
        var sc = new SecurityContext();
        foreach (var (key, keyNode, v) in r.Fields(map, path))
        {
            string fp = P(path, key);
            switch (key)
            {
                case "runAsUser": sc = sc with { RunAsUser = r.Int(v, fp) }; break;
                case "runAsGroup": sc = sc with { RunAsGroup = r.Int(v, fp) }; break;
                case "runAsNonRoot": sc = sc with { RunAsNonRoot = r.Bool(v, fp) }; break;
                case "readOnlyRootFilesystem": sc = sc with { ReadOnlyRootFilesystem = r.Bool(v, fp) }; break;
                case "allowPrivilegeEscalation": sc = sc with { AllowPrivilegeEscalation = r.Bool(v, fp) }; break;
                case "privileged": sc = sc with { Privileged = r.Bool(v, fp) }; break;
                case "procMount": sc = sc with { ProcMount = NonEmpty(r.String(v, fp)) }; break;
                case "capabilities":
                    var m = r.Map(v, fp);
                    if (m is null) break;
                    IReadOnlyList<string> add = [], drop = [];
                    foreach (var (k2, kn2, v2) in r.Fields(m, fp))
                    {
                        if (k2 == "add") add = r.StringList(v2, P(fp, k2)) ?? [];
                        else if (k2 == "drop") drop = r.StringList(v2, P(fp, k2)) ?? [];
                        else r.UnknownField(kn2, fp, k2);
                    }
                    sc = sc with { Capabilities = new Capabilities(add, drop) };
                    break;
                case "seccompProfile" or "appArmorProfile" or "seLinuxOptions" or "windowsOptions":
                    break; // host security profiles: accepted, not applied (see security baseline)
                default: r.UnknownField(keyNode, path, key); break;
            }
        }
        return sc;
    }

    private static PodSecurityContext? ReadPodSecurityContext(NodeReader r, YamlNode node, string path)
    {
        var map = r.Map(node, path);
        if (map is null) return null;
        var sc = new PodSecurityContext();
        foreach (var (key, keyNode, v) in r.Fields(map, path))
        {
            string fp = P(path, key);
            switch (key)
            {
                case "runAsUser": sc = sc with { RunAsUser = r.Int(v, fp) }; break;
                case "runAsGroup": sc = sc with { RunAsGroup = r.Int(v, fp) }; break;
                case "runAsNonRoot": sc = sc with { RunAsNonRoot = r.Bool(v, fp) }; break;
                case "fsGroup": sc = sc with { FsGroup = r.Int(v, fp) }; break;
                case "fsGroupChangePolicy": sc = sc with { FsGroupChangePolicy = NonEmpty(r.String(v, fp)) }; break;
                case "supplementalGroups":
                    var seq = r.Seq(v, fp);
                    if (seq is null) break;
                    var groups = new List<long>();
                    int i = 0;
                    foreach (var item in seq.Children)
                    {
                        var g = r.Int(item, $"{fp}[{i++}]");
                        if (g is not null) groups.Add(g.Value);
                    }
                    sc = sc with { SupplementalGroups = groups };
                    break;
                case "sysctls":
                    sc = sc with
                    {
                        Sysctls = r.List(v, fp, (n, p) =>
                        {
                            var m = r.Map(n, p);
                            if (m is null) return null;
                            string name = "", value = "";
                            foreach (var (k2, kn2, v2) in r.Fields(m, p))
                            {
                                if (k2 == "name") name = r.String(v2, P(p, k2)) ?? "";
                                else if (k2 == "value") value = r.String(v2, P(p, k2)) ?? "";
                                else r.UnknownField(kn2, p, k2);
                            }
                            return new Sysctl(name, value);
                        }),
                    };
                    break;
                case "seccompProfile" or "appArmorProfile" or "seLinuxOptions" or "windowsOptions"
                    or "supplementalGroupsPolicy" or "seLinuxChangePolicy":
                    break;
                default: r.UnknownField(keyNode, path, key); break;
            }
        }
        return sc;
    }

    private static Volume? ReadVolume(NodeReader r, YamlNode node, string path)
    {
        var map = r.Map(node, path);
        if (map is null) return null;
        var vol = new Volume();
        foreach (var (key, keyNode, v) in r.Fields(map, path))
        {
            string fp = P(path, key);
            switch (key)
            {
                case "name": vol = vol with { Name = r.String(v, fp) ?? "" }; break;
                case "emptyDir":
                    var em = r.Map(v, fp);
                    if (em is null && !NodeReader.IsNull(v)) break;
                    string medium = "";
                    Quantity? sizeLimit = null;
                    if (em is not null)
                    {
                        foreach (var (k2, kn2, v2) in r.Fields(em, fp))
                        {
                            if (k2 == "medium") medium = r.String(v2, P(fp, k2)) ?? "";
                            else if (k2 == "sizeLimit") sizeLimit = r.Quantity(v2, P(fp, k2));
                            else r.UnknownField(kn2, fp, k2);
                        }
                    }
                    // `emptyDir: {}` and `emptyDir:` (null) both mean an emptyDir here.
                    vol = vol with { EmptyDir = new EmptyDirVolumeSource(medium, sizeLimit) };
                    break;
                case "hostPath":
                    var hm = r.Map(v, fp);
                    if (hm is null) break;
                    string hpath = "", htype = "";
                    foreach (var (k2, kn2, v2) in r.Fields(hm, fp))
                    {
                        if (k2 == "path") hpath = r.String(v2, P(fp, k2)) ?? "";
                        else if (k2 == "type") htype = r.String(v2, P(fp, k2)) ?? "";
                        else r.UnknownField(kn2, fp, k2);
                    }
                    vol = vol with { HostPath = new HostPathVolumeSource(hpath, htype) };
                    break;
                case "downwardAPI":
                    var dm = r.Map(v, fp);
                    if (dm is null) break;
                    var dsrc = new DownwardAPIVolumeSource();
                    foreach (var (k2, kn2, v2) in r.Fields(dm, fp))
                    {
                        string fp2 = P(fp, k2);
                        if (k2 == "items") dsrc = dsrc with { Items = r.List(v2, fp2, (n, p) => ReadDownwardFile(r, n, p)) };
                        else if (k2 == "defaultMode") dsrc = dsrc with { DefaultMode = r.Int32(v2, fp2) ?? 420 };
                        else r.UnknownField(kn2, fp, k2);
                    }
                    vol = vol with { DownwardAPI = dsrc };
                    break;
                case "projected":
                    vol = vol with { Projected = ReadProjected(r, v, fp) };
                    break;
                case "configMap" or "secret" or "persistentVolumeClaim" or "nfs" or "iscsi" or "csi" or "ephemeral"
                    or "image" or "gitRepo" or "awsElasticBlockStore" or "gcePersistentDisk" or "azureDisk" or "azureFile"
                    or "cephfs" or "cinder" or "fc" or "flexVolume" or "flocker" or "glusterfs" or "photonPersistentDisk"
                    or "portworxVolume" or "quobyte" or "rbd" or "scaleIO" or "storageos" or "vsphereVolume":
                    r.Unsupported(keyNode, path, key, "volume type not supported by podshim (supported: emptyDir, hostPath, downwardAPI, projected)");
                    break;
                default: r.UnknownField(keyNode, path, key); break;
            }
        }
        // SetDefaults_Volume: a volume with no source is an emptyDir.
        if (vol.EmptyDir is null && vol.HostPath is null && vol.DownwardAPI is null && vol.Projected is null && !HasKey(map, SourceKeys))
            vol = vol with { EmptyDir = new EmptyDirVolumeSource("", null) };
        return vol;
    }

    private static readonly string[] SourceKeys = ["emptyDir", "hostPath", "downwardAPI", "projected"];

    private static bool HasKey(YamlMappingNode map, string[] keys) =>
        map.Children.Keys.Any(k => k is YamlScalarNode s && keys.Contains(s.Value));

    private static DownwardAPIVolumeFile? ReadDownwardFile(NodeReader r, YamlNode node, string path)
    {
        var map = r.Map(node, path);
        if (map is null) return null;
        var f = new DownwardAPIVolumeFile();
        foreach (var (key, keyNode, v) in r.Fields(map, path))
        {
            string fp = P(path, key);
            switch (key)
            {
                case "path": f = f with { Path = r.String(v, fp) ?? "" }; break;
                case "fieldRef": f = f with { FieldRef = ReadFieldRef(r, v, fp) }; break;
                case "resourceFieldRef": f = f with { ResourceFieldRef = ReadResourceFieldRef(r, v, fp) }; break;
                case "mode": f = f with { Mode = r.Int32(v, fp) }; break;
                default: r.UnknownField(keyNode, path, key); break;
            }
        }
        return f;
    }

    private static ProjectedVolumeSource? ReadProjected(NodeReader r, YamlNode node, string path)
    {
        var map = r.Map(node, path);
        if (map is null) return null;
        var src = new ProjectedVolumeSource();
        foreach (var (key, keyNode, v) in r.Fields(map, path))
        {
            string fp = P(path, key);
            switch (key)
            {
                case "defaultMode": src = src with { DefaultMode = r.Int32(v, fp) ?? 420 }; break;
                case "sources": src = src with { Sources = r.List(v, fp, (n, p) => ReadProjection(r, n, p)) }; break;
                default: r.UnknownField(keyNode, path, key); break;
            }
        }
        return src;
    }

    private static VolumeProjection? ReadProjection(NodeReader r, YamlNode node, string path)
    {
        var map = r.Map(node, path);
        if (map is null) return null;
        var proj = new VolumeProjection();
        foreach (var (key, keyNode, v) in r.Fields(map, path))
        {
            string fp = P(path, key);
            switch (key)
            {
                case "serviceAccountToken":
                    var m = r.Map(v, fp);
                    if (m is null) break;
                    string? audience = null;
                    long expiration = 3600;
                    string tpath = "";
                    foreach (var (k2, kn2, v2) in r.Fields(m, fp))
                    {
                        string fp2 = P(fp, k2);
                        if (k2 == "audience") audience = NonEmpty(r.String(v2, fp2));
                        else if (k2 == "expirationSeconds") expiration = r.Int(v2, fp2) ?? 3600;
                        else if (k2 == "path") tpath = r.String(v2, fp2) ?? "";
                        else r.UnknownField(kn2, fp, k2);
                    }
                    proj = proj with { ServiceAccountToken = new ServiceAccountTokenProjection(audience, expiration, tpath) };
                    break;
                case "downwardAPI":
                    var dm = r.Map(v, fp);
                    if (dm is null) break;
                    IReadOnlyList<DownwardAPIVolumeFile> items = [];
                    foreach (var (k2, kn2, v2) in r.Fields(dm, fp))
                    {
                        if (k2 == "items") items = r.List(v2, P(fp, k2), (n, p) => ReadDownwardFile(r, n, p));
                        else r.UnknownField(kn2, fp, k2);
                    }
                    proj = proj with { DownwardAPI = new DownwardAPIProjection(items) };
                    break;
                case "configMap" or "secret" or "clusterTrustBundle" or "podCertificate":
                    r.Unsupported(keyNode, path, key, "projection not supported by podshim (supported: serviceAccountToken, downwardAPI)");
                    break;
                default: r.UnknownField(keyNode, path, key); break;
            }
        }
        return proj;
    }
}
