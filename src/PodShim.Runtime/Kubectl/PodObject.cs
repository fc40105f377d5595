using System.Globalization;
using System.Text.Json.Nodes;
using PodShim.Manifest;
using PodShim.Runtime.Pods;
using PodShim.Runtime.Status;

namespace PodShim.Runtime.Kubectl;

/// <summary>
/// A stored pod as a v1 Pod object (apiVersion, kind, metadata, spec with the API server's defaults, status), for
/// `get -o json|yaml`; several as a v1 List. Keys are printed sorted, as kubectl prints the unstructured objects
/// it receives.
/// </summary>
public static class PodObject
{
    public static JsonObject Build(Pod pod, PodRecord record, PodStatusInfo status, DateTimeOffset? deletionTimestamp = null, long? deletionGrace = null)
    {
        var metadata = new JsonObject
        {
            ["name"] = pod.Metadata.Name,
            ["namespace"] = pod.Metadata.Namespace,
            ["uid"] = record.Uid,
            ["creationTimestamp"] = PodStatusJson.Time(record.CreationTimestamp),
        };
        if (pod.Metadata.GenerateName is { Length: > 0 } generate)
            metadata["generateName"] = generate;
        if (pod.Metadata.Labels.Count > 0)
            metadata["labels"] = Map(pod.Metadata.Labels);
        if (pod.Metadata.Annotations.Count > 0)
            metadata["annotations"] = Map(pod.Metadata.Annotations);
        if (status.Deleting && deletionTimestamp is { } deleted)
        {
            metadata["deletionTimestamp"] = PodStatusJson.Time(deleted);
            metadata["deletionGracePeriodSeconds"] = deletionGrace ?? pod.Spec.TerminationGracePeriodSeconds;
        }
        var statusNode = JsonNode.Parse(PodStatusJson.Serialize(status))!.AsObject();
        statusNode.Remove("podshimDeleting");
        statusNode["qosClass"] = PodDescriber.QosClass(pod);
        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = metadata,
            ["spec"] = Spec(pod.Spec, string.IsNullOrEmpty(pod.Spec.NodeName) ? record.NodeName : pod.Spec.NodeName),
            ["status"] = statusNode,
        };
    }

    /// <summary>A v1 List of the given items (kubectl's output for more than one object, or for a listing).</summary>
    public static JsonObject List(IEnumerable<JsonNode> items) => new()
    {
        ["apiVersion"] = "v1",
        ["items"] = new JsonArray(items.ToArray()),
        ["kind"] = "List",
        ["metadata"] = new JsonObject { ["resourceVersion"] = "" },
    };

    private static JsonObject Spec(PodSpec s, string nodeName)
    {
        var o = new JsonObject
        {
            ["containers"] = new JsonArray(s.Containers.Select(Container).ToArray()),
            ["restartPolicy"] = s.RestartPolicy,
            ["terminationGracePeriodSeconds"] = s.TerminationGracePeriodSeconds,
            ["dnsPolicy"] = s.DnsPolicy,
            ["serviceAccountName"] = s.ServiceAccountName,
            ["serviceAccount"] = s.ServiceAccountName,
            ["enableServiceLinks"] = s.EnableServiceLinks,
            ["schedulerName"] = "default-scheduler",
            ["securityContext"] = PodSecurity(s.SecurityContext),
        };
        if (nodeName.Length > 0)
            o["nodeName"] = nodeName;
        if (s.InitContainers.Count > 0)
            o["initContainers"] = new JsonArray(s.InitContainers.Select(Container).ToArray());
        if (s.ActiveDeadlineSeconds is long deadline)
            o["activeDeadlineSeconds"] = deadline;
        if (s.HostNetwork)
            o["hostNetwork"] = true;
        if (s.HostPID)
            o["hostPID"] = true;
        if (s.HostIPC)
            o["hostIPC"] = true;
        if (s.ShareProcessNamespace)
            o["shareProcessNamespace"] = true;
        if (s.Hostname is { Length: > 0 } hostname)
            o["hostname"] = hostname;
        if (s.Subdomain is { Length: > 0 } subdomain)
            o["subdomain"] = subdomain;
        if (s.AutomountServiceAccountToken is bool automount)
            o["automountServiceAccountToken"] = automount;
        if (s.SetHostnameAsFqdn is bool fqdn)
            o["setHostnameAsFQDN"] = fqdn;
        if (s.Volumes.Count > 0)
            o["volumes"] = new JsonArray(s.Volumes.Select(Volume).ToArray());
        if (s.NodeSelector.Count > 0)
            o["nodeSelector"] = Map(s.NodeSelector);
        if (s.Overhead.Count > 0)
            o["overhead"] = Resources(s.Overhead);
        if (s.HostAliases.Count > 0)
            o["hostAliases"] = new JsonArray(s.HostAliases.Select(h => (JsonNode)new JsonObject
            {
                ["ip"] = h.Ip,
                ["hostnames"] = Strings(h.Hostnames),
            }).ToArray());
        if (s.DnsConfig is { } dns)
        {
            var d = new JsonObject();
            if (dns.Nameservers.Count > 0)
                d["nameservers"] = Strings(dns.Nameservers);
            if (dns.Searches.Count > 0)
                d["searches"] = Strings(dns.Searches);
            if (dns.Options.Count > 0)
                d["options"] = new JsonArray(dns.Options.Select(op => (JsonNode)Obj(("name", op.Name), ("value", op.Value))).ToArray());
            o["dnsConfig"] = d;
        }
        return o;
    }

    private static JsonNode Container(Container c)
    {
        var o = new JsonObject
        {
            ["name"] = c.Name,
            ["image"] = c.Image,
            ["imagePullPolicy"] = c.ImagePullPolicy,
            ["resources"] = ResourceRequirements(c.Resources),
            ["terminationMessagePath"] = c.TerminationMessagePath,
            ["terminationMessagePolicy"] = c.TerminationMessagePolicy,
        };
        if (c.Command is { Count: > 0 } command)
            o["command"] = Strings(command);
        if (c.Args is { Count: > 0 } args)
            o["args"] = Strings(args);
        if (c.WorkingDir is { Length: > 0 } dir)
            o["workingDir"] = dir;
        if (c.Env.Count > 0)
            o["env"] = new JsonArray(c.Env.Select(Env).ToArray());
        if (c.Ports.Count > 0)
            o["ports"] = new JsonArray(c.Ports.Select(p =>
            {
                var port = new JsonObject { ["containerPort"] = p.Port, ["protocol"] = p.Protocol };
                if (!string.IsNullOrEmpty(p.Name))
                    port["name"] = p.Name;
                if (p.HostPort != 0)
                    port["hostPort"] = p.HostPort;
                if (!string.IsNullOrEmpty(p.HostIP))
                    port["hostIP"] = p.HostIP;
                return (JsonNode)port;
            }).ToArray());
        if (c.VolumeMounts.Count > 0)
            o["volumeMounts"] = new JsonArray(c.VolumeMounts.Select(m =>
            {
                var mount = new JsonObject { ["name"] = m.Name, ["mountPath"] = m.MountPath };
                if (!string.IsNullOrEmpty(m.SubPath))
                    mount["subPath"] = m.SubPath;
                if (m.ReadOnly)
                    mount["readOnly"] = true;
                if (!string.IsNullOrEmpty(m.MountPropagation))
                    mount["mountPropagation"] = m.MountPropagation;
                return (JsonNode)mount;
            }).ToArray());
        if (c.LivenessProbe is { } liveness)
            o["livenessProbe"] = Probe(liveness);
        if (c.ReadinessProbe is { } readiness)
            o["readinessProbe"] = Probe(readiness);
        if (c.StartupProbe is { } startup)
            o["startupProbe"] = Probe(startup);
        if (c.Lifecycle is { } lifecycle)
        {
            var l = new JsonObject();
            if (lifecycle.PostStart is { } postStart)
                l["postStart"] = Handler(postStart);
            if (lifecycle.PreStop is { } preStop)
                l["preStop"] = Handler(preStop);
            if (lifecycle.StopSignal is { } stopSignal)
                l["stopSignal"] = stopSignal;
            o["lifecycle"] = l;
        }
        if (c.SecurityContext is { } sc)
            o["securityContext"] = ContainerSecurity(sc);
        if (c.RestartPolicy is { } restart)
            o["restartPolicy"] = restart;
        if (c.Stdin)
            o["stdin"] = true;
        if (c.StdinOnce)
            o["stdinOnce"] = true;
        if (c.Tty)
            o["tty"] = true;
        return o;
    }

    private static JsonNode Env(EnvVar e)
    {
        var o = new JsonObject { ["name"] = e.Name };
        if (e.Value is { Length: > 0 } value)
            o["value"] = value;
        if (e.ValueFrom is { } from)
        {
            var f = new JsonObject();
            if (from.FieldRef is { } field)
                f["fieldRef"] = new JsonObject { ["apiVersion"] = field.ApiVersion, ["fieldPath"] = field.FieldPath };
            if (from.ResourceFieldRef is { } resource)
                f["resourceFieldRef"] = ResourceField(resource);
            o["valueFrom"] = f;
        }
        return o;
    }

    private static JsonObject ResourceField(ResourceFieldSelector r)
    {
        var o = new JsonObject { ["resource"] = r.Resource, ["divisor"] = (r.Divisor.IsZero ? Quantity.FromInt64(1) : r.Divisor).ToString() };
        if (!string.IsNullOrEmpty(r.ContainerName))
            o["containerName"] = r.ContainerName;
        return o;
    }

    private static JsonNode Probe(Probe p)
    {
        var o = Action(p.Exec, p.HttpGet, p.TcpSocket);
        if (p.Grpc is { } grpc)
            o["grpc"] = new JsonObject { ["port"] = grpc.Port, ["service"] = grpc.Service ?? "" };
        o["initialDelaySeconds"] = p.InitialDelaySeconds;
        o["timeoutSeconds"] = p.TimeoutSeconds;
        o["periodSeconds"] = p.PeriodSeconds;
        o["successThreshold"] = p.SuccessThreshold;
        o["failureThreshold"] = p.FailureThreshold;
        if (p.TerminationGracePeriodSeconds is long grace)
            o["terminationGracePeriodSeconds"] = grace;
        return o;
    }

    private static JsonNode Handler(LifecycleHandler h)
    {
        var o = Action(h.Exec, h.HttpGet, h.TcpSocket);
        if (h.Sleep is { } sleep)
            o["sleep"] = new JsonObject { ["seconds"] = sleep.Seconds };
        return o;
    }

    private static JsonObject Action(ExecAction? exec, HttpGetAction? http, TcpSocketAction? tcp)
    {
        var o = new JsonObject();
        if (exec is not null)
            o["exec"] = new JsonObject { ["command"] = Strings(exec.Command) };
        if (http is not null)
        {
            var h = new JsonObject { ["path"] = http.Path, ["port"] = Port(http.Port), ["scheme"] = http.Scheme };
            if (!string.IsNullOrEmpty(http.Host))
                h["host"] = http.Host;
            if (http.HttpHeaders.Count > 0)
                h["httpHeaders"] = new JsonArray(http.HttpHeaders.Select(x => (JsonNode)new JsonObject { ["name"] = x.Name, ["value"] = x.Value }).ToArray());
            o["httpGet"] = h;
        }
        if (tcp is not null)
        {
            var t = new JsonObject { ["port"] = Port(tcp.Port) };
            if (!string.IsNullOrEmpty(tcp.Host))
                t["host"] = tcp.Host;
            o["tcpSocket"] = t;
        }
        return o;
    }

    private static JsonNode Port(IntOrString port) => port.IntValue is int n ? JsonValue.Create(n) : JsonValue.Create(port.StringValue ?? "");

    private static JsonObject ContainerSecurity(SecurityContext sc)
    {
        JsonObject o = Identity(sc.RunAsUser, sc.RunAsGroup, sc.RunAsNonRoot);
        if (sc.ReadOnlyRootFilesystem is bool ro)
            o["readOnlyRootFilesystem"] = ro;
        if (sc.AllowPrivilegeEscalation is bool escalation)
            o["allowPrivilegeEscalation"] = escalation;
        if (sc.Privileged is bool privileged)
            o["privileged"] = privileged;
        if (sc.ProcMount is { } procMount)
            o["procMount"] = procMount;
        if (sc.Capabilities is { } caps)
        {
            var c = new JsonObject();
            if (caps.Add.Count > 0)
                c["add"] = Strings(caps.Add);
            if (caps.Drop.Count > 0)
                c["drop"] = Strings(caps.Drop);
            o["capabilities"] = c;
        }
        return o;
    }

    /// <summary>The user fields a pod and a container security context share.</summary>
    private static JsonObject Identity(long? uid, long? gid, bool? nonRoot)
    {
        var o = new JsonObject();
        if (uid is long u)
            o["runAsUser"] = u;
        if (gid is long g)
            o["runAsGroup"] = g;
        if (nonRoot is bool n)
            o["runAsNonRoot"] = n;
        return o;
    }

    private static JsonObject PodSecurity(PodSecurityContext? sc)
    {
        if (sc is null)
            return new JsonObject();
        JsonObject o = Identity(sc.RunAsUser, sc.RunAsGroup, sc.RunAsNonRoot);
        if (sc.FsGroup is long fsGroup)
            o["fsGroup"] = fsGroup;
        if (sc.FsGroupChangePolicy is { } policy)
            o["fsGroupChangePolicy"] = policy;
        if (sc.SupplementalGroups.Count > 0)
            o["supplementalGroups"] = new JsonArray(sc.SupplementalGroups.Select(g => (JsonNode)JsonValue.Create(g)).ToArray());
        if (sc.Sysctls.Count > 0)
            o["sysctls"] = new JsonArray(sc.Sysctls.Select(x => (JsonNode)new JsonObject { ["name"] = x.Name, ["value"] = x.Value }).ToArray());
        return o;
    }

    private static JsonNode Volume(Volume v)
    {
        var o = new JsonObject { ["name"] = v.Name };
        if (v.EmptyDir is { } emptyDir)
        {
            var e = new JsonObject();
            if (emptyDir.Medium.Length > 0)
                e["medium"] = emptyDir.Medium;
            if (emptyDir.SizeLimit is { } limit)
                e["sizeLimit"] = limit.ToString();
            o["emptyDir"] = e;
        }
        if (v.HostPath is { } hostPath)
            o["hostPath"] = new JsonObject { ["path"] = hostPath.Path, ["type"] = hostPath.Type };
        if (v.DownwardAPI is { } downward)
            o["downwardAPI"] = new JsonObject { ["items"] = Items(downward.Items), ["defaultMode"] = downward.DefaultMode };
        if (v.Projected is { } projected)
        {
            var sources = new JsonArray();
            foreach (VolumeProjection source in projected.Sources)
            {
                var s = new JsonObject();
                if (source.ServiceAccountToken is { } token)
                {
                    var t = new JsonObject { ["expirationSeconds"] = token.ExpirationSeconds, ["path"] = token.Path };
                    if (token.Audience is { } audience)
                        t["audience"] = audience;
                    s["serviceAccountToken"] = t;
                }
                if (source.DownwardAPI is { } d)
                    s["downwardAPI"] = new JsonObject { ["items"] = Items(d.Items) };
                sources.Add((JsonNode)s); // JsonArray.Add<T> would serialize by reflection (not trim-safe)
            }
            o["projected"] = new JsonObject { ["sources"] = sources, ["defaultMode"] = projected.DefaultMode };
        }
        return o;
    }

    private static JsonArray Items(IReadOnlyList<DownwardAPIVolumeFile> items) => new(items.Select(i =>
    {
        var o = new JsonObject { ["path"] = i.Path };
        if (i.FieldRef is { } f)
            o["fieldRef"] = new JsonObject { ["apiVersion"] = f.ApiVersion, ["fieldPath"] = f.FieldPath };
        if (i.ResourceFieldRef is { } r)
            o["resourceFieldRef"] = ResourceField(r);
        if (i.Mode is int mode)
            o["mode"] = mode;
        return (JsonNode)o;
    }).ToArray());

    private static JsonObject ResourceRequirements(ResourceRequirements r)
    {
        var o = new JsonObject();
        if (r.Limits.Count > 0)
            o["limits"] = Resources(r.Limits);
        if (r.Requests.Count > 0)
            o["requests"] = Resources(r.Requests);
        return o;
    }

    private static JsonObject Resources(IReadOnlyDictionary<string, Quantity> list)
    {
        var o = new JsonObject();
        foreach (var (name, q) in list)
            o[name] = q.ToString();
        return o;
    }

    private static JsonObject Map(IReadOnlyDictionary<string, string> map)
    {
        var o = new JsonObject();
        foreach (var (k, v) in map)
            o[k] = v;
        return o;
    }

    private static JsonArray Strings(IEnumerable<string> values) => new(values.Select(v => (JsonNode)JsonValue.Create(v)).ToArray());

    private static JsonObject Obj(params (string Name, string? Value)[] fields)
    {
        var o = new JsonObject();
        foreach (var (name, value) in fields)
            if (value is not null)
                o[name] = value;
        return o;
    }

    internal static string I(long v) => v.ToString(CultureInfo.InvariantCulture);
}
