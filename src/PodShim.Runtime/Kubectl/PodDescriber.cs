using System.Globalization;
using PodShim.Manifest;
using PodShim.Runtime.Pods;
using PodShim.Runtime.Status;

namespace PodShim.Runtime.Kubectl;

/// <summary>What `kubectl describe pod` is given: the pod, its status and events, and its deletion if one is under way.</summary>
public sealed record PodDescription(Pod Pod, PodRecord Record, PodStatusInfo Status, IReadOnlyList<AggregatedEvent> Events)
{
    /// <summary>When a delete was asked for (the pod's deletionTimestamp).</summary>
    public DateTimeOffset? DeletionTimestamp { get; init; }
    public long? DeletionGracePeriodSeconds { get; init; }
}

/// <summary>
/// `kubectl describe pod` (k8s.io/kubectl/pkg/describe describePod), line for line, through the same tab writer
/// settings so that the columns come out the same.
/// </summary>
public static class PodDescriber
{
    public static string Describe(PodDescription d, DateTimeOffset now, TimeZoneInfo zone)
    {
        var text = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        var tab = TabWriter.ForDescribe(text);
        var w = new PrefixWriter(tab);
        Pod pod = d.Pod;
        PodStatusInfo status = d.Status;
        string podIP = status.PodIP;
        w.Write(0, $"Name:\t{pod.Metadata.Name}\n");
        w.Write(0, $"Namespace:\t{pod.Metadata.Namespace}\n");
        if (pod.Spec.ServiceAccountName.Length > 0)
            w.Write(0, $"Service Account:\t{pod.Spec.ServiceAccountName}\n");
        string node = string.IsNullOrEmpty(pod.Spec.NodeName) ? d.Record.NodeName : pod.Spec.NodeName;
        w.Write(0, node.Length == 0 ? "Node:\t<none>\n" : $"Node:\t{node}/{status.HostIP}\n");
        if (status.StartTime is { } start)
            w.Write(0, $"Start Time:\t{GoTime.Rfc1123Z(start, zone)}\n");
        PrintMap(w, "Labels", pod.Metadata.Labels);
        PrintAnnotations(w, pod.Metadata.Annotations);
        if (status.Deleting && !PodPhases.IsTerminal(status.Phase))
        {
            w.Write(0, $"Status:\tTerminating (lasts {KubectlPrinter.TimestampSince(d.DeletionTimestamp ?? now, now)})\n");
            w.Write(0, $"Termination Grace Period:\t{I(d.DeletionGracePeriodSeconds ?? pod.Spec.TerminationGracePeriodSeconds)}s\n");
        }
        else
        {
            w.Write(0, $"Status:\t{status.Phase}\n");
        }
        if (!string.IsNullOrEmpty(status.Reason))
            w.Write(0, $"Reason:\t{status.Reason}\n");
        if (!string.IsNullOrEmpty(status.Message))
            w.Write(0, $"Message:\t{status.Message}\n");
        w.Write(0, $"IP:\t{podIP}\n");
        if (podIP.Length == 0)
            w.Write(0, "IPs:\t<none>\n");
        else
        {
            w.Write(0, "IPs:\n");
            w.Write(1, $"IP:\t{podIP}\n");
        }
        var env = new DownwardContext { PodIP = podIP, HostIP = status.HostIP, NodeName = node };
        if (pod.Spec.InitContainers.Count > 0)
            Containers(w, "Init Containers", pod, pod.Spec.InitContainers, status.InitContainerStatuses, env, zone);
        Containers(w, "Containers", pod, pod.Spec.Containers, status.ContainerStatuses, env, zone);
        if (status.Conditions.Count > 0)
        {
            w.Write(0, "Conditions:\n  Type\tStatus\n");
            foreach (PodCondition c in status.Conditions)
                w.Write(1, $"{c.Type} \t{c.Status} \n");
        }
        Volumes(w, pod.Spec.Volumes);
        w.Write(0, $"QoS Class:\t{QosClass(pod)}\n");
        PrintMap(w, "Node-Selectors", pod.Spec.NodeSelector);
        w.Write(0, "Tolerations:\t");
        w.Write(0, "<none>\n");
        EventLog.Describe(d.Events, w, now);
        tab.Flush();
        return text.ToString();
    }

    private static void Containers(PrefixWriter w, string label, Pod pod, IReadOnlyList<Container> containers,
        IReadOnlyList<ContainerStatusInfo> statuses, DownwardContext env, TimeZoneInfo zone)
    {
        w.Write(0, $"{label}:{(containers.Count == 0 ? " <none>" : "")}\n");
        foreach (Container c in containers)
        {
            ContainerStatusInfo? status = statuses.FirstOrDefault(s => s.Name == c.Name);
            w.Write(1, $"{c.Name}:\n");
            if (status is not null)
                w.Write(2, $"Container ID:\t{status.ContainerId}\n");
            w.Write(2, $"Image:\t{c.Image}\n");
            if (status is not null)
                w.Write(2, $"Image ID:\t{status.ImageId}\n");
            string ports = string.Join(", ", c.Ports.Select(p => Port(p.Port, p)));
            w.Write(2, ports.Contains(',') ? $"Ports:\t{ports}\n" : $"Port:\t{OrNone(ports)}\n");
            string hostPorts = string.Join(", ", c.Ports.Select(p => Port(p.HostPort, p)));
            w.Write(2, hostPorts.Contains(',') ? $"Host Ports:\t{hostPorts}\n" : $"Host Port:\t{OrNone(hostPorts)}\n");
            if (c.Command is { Count: > 0 } command)
            {
                w.Write(2, "Command:\n");
                foreach (string line in command.SelectMany(a => a.Split('\n')))
                    w.Write(3, $"{line}\n");
            }
            if (c.Args is { Count: > 0 } args)
            {
                w.Write(2, "Args:\n");
                foreach (string line in args.SelectMany(a => a.Split('\n')))
                    w.Write(3, $"{line}\n");
            }
            if (status is not null)
            {
                State(w, "State", status.State, zone);
                if (status.LastState is TerminatedState last)
                    State(w, "Last State", last, zone);
                w.Write(2, $"Ready:\t{(status.Ready ? "True" : "False")}\n");
                w.Write(2, $"Restart Count:\t{I(status.RestartCount)}\n");
            }
            Resources(w, c.Resources);
            if (c.LivenessProbe is { } liveness)
                w.Write(2, $"Liveness:\t{DescribeProbe(liveness)}\n");
            if (c.ReadinessProbe is { } readiness)
                w.Write(2, $"Readiness:\t{DescribeProbe(readiness)}\n");
            if (c.StartupProbe is { } startup)
                w.Write(2, $"Startup:\t{DescribeProbe(startup)}\n");
            Environment(w, pod, c, env);
            w.Write(2, $"Mounts:{(c.VolumeMounts.Count == 0 ? "\t<none>" : "")}\n");
            foreach (VolumeMount m in c.VolumeMounts.OrderBy(m => m.MountPath, StringComparer.Ordinal))
            {
                string flags = m.ReadOnly ? "ro" : "rw";
                if (!string.IsNullOrEmpty(m.SubPath))
                    flags += $",path=\"{m.SubPath}\"";
                w.Write(3, $"{m.MountPath} from {m.Name} ({flags})\n");
            }
        }
    }

    private static string Port(int number, ContainerPort p) =>
        $"{I(number)}/{p.Protocol}" + (string.IsNullOrEmpty(p.Name) ? "" : $" ({p.Name})");

    private static void State(PrefixWriter w, string name, ContainerState? state, TimeZoneInfo zone)
    {
        switch (state)
        {
            case RunningState r:
                w.Write(2, $"{name}:\tRunning\n");
                w.Write(3, $"Started:\t{GoTime.Rfc1123Z(r.StartedAt, zone)}\n");
                break;
            case WaitingState wt:
                w.Write(2, $"{name}:\tWaiting\n");
                if (wt.Reason.Length > 0)
                    w.Write(3, $"Reason:\t{wt.Reason}\n");
                break;
            case TerminatedState t:
                w.Write(2, $"{name}:\tTerminated\n");
                if (t.Reason.Length > 0)
                    w.Write(3, $"Reason:\t{t.Reason}\n");
                if (!string.IsNullOrEmpty(t.Message))
                    w.Write(3, $"Message:\t{t.Message}\n");
                w.Write(3, $"Exit Code:\t{I(t.ExitCode)}\n");
                if (t.Signal > 0)
                    w.Write(3, $"Signal:\t{I(t.Signal)}\n");
                w.Write(3, $"Started:\t{GoTime.Rfc1123Z(t.StartedAt, zone)}\n");
                w.Write(3, $"Finished:\t{GoTime.Rfc1123Z(t.FinishedAt, zone)}\n");
                break;
            default:
                w.Write(2, $"{name}:\tWaiting\n");
                break;
        }
    }

    private static void Resources(PrefixWriter w, ResourceRequirements r)
    {
        if (r.Limits.Count > 0)
            w.Write(2, "Limits:\n");
        foreach (var (name, q) in r.Limits.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            w.Write(3, $"{name}:\t{q}\n");
        if (r.Requests.Count > 0)
            w.Write(2, "Requests:\n");
        foreach (var (name, q) in r.Requests.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            w.Write(3, $"{name}:\t{q}\n");
    }

    /// <summary>describe.DescribeProbe.</summary>
    public static string DescribeProbe(Probe p)
    {
        string attrs = $"delay={I(p.InitialDelaySeconds)}s timeout={I(p.TimeoutSeconds)}s period={I(p.PeriodSeconds)}s #success={I(p.SuccessThreshold)} #failure={I(p.FailureThreshold)}";
        if (p.Exec is { } exec)
            return $"exec [{string.Join(' ', exec.Command)}] {attrs}";
        if (p.HttpGet is { } http)
        {
            string port = http.Port.ToString();
            string host = http.Host ?? "";
            string hostPort = port.Length > 0 ? (host.Contains(':') ? $"[{host}]:{port}" : $"{host}:{port}") : host;
            return $"http-get {http.Scheme.ToLowerInvariant()}://{hostPort}{http.Path} {attrs}";
        }
        if (p.TcpSocket is { } tcp)
            return $"tcp-socket {tcp.Host ?? ""}:{tcp.Port} {attrs}";
        if (p.Grpc is { } grpc)
            return $"grpc <pod>:{I(grpc.Port)} {grpc.Service ?? ""} {attrs}";
        return $"unknown {attrs}";
    }

    private static void Environment(PrefixWriter w, Pod pod, Container c, DownwardContext env)
    {
        w.Write(2, $"Environment:{(c.Env.Count == 0 ? "\t<none>" : "")}\n");
        foreach (EnvVar e in c.Env)
        {
            if (e.ValueFrom is null)
            {
                string[] lines = (e.Value ?? "").Split('\n');
                for (int i = 0; i < lines.Length; i++)
                    w.Write(3, i == 0 ? $"{e.Name}:\t{lines[i]}\n" : $"\t{lines[i]}\n");
                continue;
            }
            if (e.ValueFrom.FieldRef is { } field)
            {
                w.Write(3, $"{e.Name}:\t{EnvExpansion.FieldValue(pod, field.FieldPath, env)} ({field.ApiVersion}:{field.FieldPath})\n");
            }
            else if (e.ValueFrom.ResourceFieldRef is { } resource)
            {
                string value = EnvExpansion.ResourceValue(pod, c, resource, new DownwardContext());
                if (value == "0" && resource.Resource is "limits.cpu" or "limits.memory")
                    value = "node allocatable";
                w.Write(3, $"{e.Name}:\t{value} ({resource.Resource})\n");
            }
        }
    }

    private static void Volumes(PrefixWriter w, IReadOnlyList<Volume> volumes)
    {
        if (volumes.Count == 0)
        {
            w.Write(0, "Volumes:\t<none>\n");
            return;
        }
        w.Write(0, "Volumes:\n");
        foreach (Volume v in volumes)
        {
            w.Write(1, $"{v.Name}:\n");
            if (v.HostPath is { } hostPath)
            {
                w.Write(2, $"Type:\tHostPath (bare host directory volume)\n    Path:\t{hostPath.Path}\n    HostPathType:\t{hostPath.Type}\n");
            }
            else if (v.EmptyDir is { } emptyDir)
            {
                string size = emptyDir.SizeLimit is { Sign: > 0 } limit ? limit.ToString() : "<unset>";
                w.Write(2, $"Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n    Medium:\t{emptyDir.Medium}\n    SizeLimit:\t{size}\n");
            }
            else if (v.DownwardAPI is { } downward)
            {
                w.Write(2, "Type:\tDownwardAPI (a volume populated by information about the pod)\n    Items:\n");
                DownwardItems(w, downward.Items);
            }
            else if (v.Projected is { } projected)
            {
                w.Write(2, "Type:\tProjected (a volume that contains injected data from multiple sources)\n");
                foreach (VolumeProjection source in projected.Sources)
                {
                    if (source.DownwardAPI is not null)
                        w.Write(2, "DownwardAPI:\ttrue\n");
                    else if (source.ServiceAccountToken is { } token)
                        w.Write(2, $"TokenExpirationSeconds:\t{token.ExpirationSeconds.ToString(CultureInfo.InvariantCulture)}\n");
                }
            }
            else
            {
                w.Write(1, "<unknown>\n");
            }
        }
    }

    private static void DownwardItems(PrefixWriter w, IReadOnlyList<DownwardAPIVolumeFile> items)
    {
        foreach (DownwardAPIVolumeFile item in items)
        {
            if (item.FieldRef is { } f)
                w.Write(3, $"{f.FieldPath} -> {item.Path}\n");
            if (item.ResourceFieldRef is { } r)
                w.Write(3, $"{r.Resource} -> {item.Path}\n");
        }
    }

    /// <summary>kubectl's printLabelsMultiline (also for `describe service`).</summary>
    internal static void PrintMap(PrefixWriter w, string title, IReadOnlyDictionary<string, string> map)
    {
        w.Write(0, $"{title}:\t");
        if (map.Count == 0)
        {
            w.Write(0, "<none>\n");
            return;
        }
        bool first = true;
        foreach (string key in map.Keys.OrderBy(k => k, StringComparer.Ordinal))
        {
            if (!first)
                w.Write(0, "\t");
            w.Write(0, $"{key}={map[key]}\n");
            first = false;
        }
    }

    private const int MaxAnnotationLength = 140;

    /// <summary>kubectl's printAnnotationsMultiline (also for `describe service`).</summary>
    internal static void PrintAnnotations(PrefixWriter w, IReadOnlyDictionary<string, string> annotations)
    {
        w.Write(0, "Annotations:\t");
        var keys = annotations.Keys.Where(k => k != "kubectl.kubernetes.io/last-applied-configuration").OrderBy(k => k, StringComparer.Ordinal).ToList();
        if (keys.Count == 0)
        {
            w.Write(0, "<none>\n");
            return;
        }
        for (int i = 0; i < keys.Count; i++)
        {
            if (i != 0)
                w.Write(0, "\t");
            string value = annotations[keys[i]].TrimEnd('\n');
            if (value.Length + keys[i].Length + 2 > MaxAnnotationLength || value.Contains('\n'))
            {
                w.Write(0, $"{keys[i]}:\n");
                foreach (string line in value.Split('\n'))
                    w.Write(0, $"\t  {(line.Length > MaxAnnotationLength - 2 ? line[..(MaxAnnotationLength - 2)] + "..." : line)}\n");
            }
            else
            {
                w.Write(0, $"{keys[i]}: {value}\n");
            }
        }
    }

    /// <summary>qos.GetPodQOS: BestEffort without any cpu/memory request or limit; Guaranteed when every container has
    /// cpu and memory limits and the requests equal them; Burstable otherwise.</summary>
    public static string QosClass(Pod pod)
    {
        var requests = new Dictionary<string, decimal>();
        var limits = new Dictionary<string, decimal>();
        bool guaranteed = true;
        foreach (Container c in pod.Spec.Containers.Concat(pod.Spec.InitContainers))
        {
            foreach (var (name, q) in c.Resources.Requests)
                if (name is "cpu" or "memory" && q.Sign > 0)
                    requests[name] = requests.GetValueOrDefault(name) + Milli(q);
            var found = new HashSet<string>();
            foreach (var (name, q) in c.Resources.Limits)
            {
                if (name is not ("cpu" or "memory") || q.Sign <= 0)
                    continue;
                found.Add(name);
                limits[name] = limits.GetValueOrDefault(name) + Milli(q);
            }
            if (!found.Contains("cpu") || !found.Contains("memory"))
                guaranteed = false;
        }
        if (requests.Count == 0 && limits.Count == 0)
            return "BestEffort";
        if (guaranteed && requests.All(r => limits.TryGetValue(r.Key, out decimal l) && l == r.Value) && requests.Count == limits.Count)
            return "Guaranteed";
        return "Burstable";
    }

    private static decimal Milli(Quantity q) => q.MilliValue;

    private static string OrNone(string s) => s.Length > 0 ? s : "<none>";

    private static string I(long v) => v.ToString(CultureInfo.InvariantCulture);
}
