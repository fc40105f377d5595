using System.Globalization;
using System.Text;

namespace PodShim.Manifest;

/// <summary>What the downward API needs that is not in the manifest.</summary>
public sealed record DownwardContext
{
    public string PodIP { get; init; } = "";
    public IReadOnlyList<string> PodIPs { get; init; } = [];
    public string HostIP { get; init; } = "";
    public IReadOnlyList<string> HostIPs { get; init; } = [];
    public string NodeName { get; init; } = "";
    /// <summary>Node allocatable, used for a limit the container does not set (kubelet defaultPodLimitsForDownwardAPI).</summary>
    public IReadOnlyDictionary<string, Quantity> NodeAllocatable { get; init; } = Empty.Resources;
}

/// <summary>Container environment as the kubelet builds it: <c>$(VAR)</c> expansion and downward API values.</summary>
public static class EnvExpansion
{
    /// <summary>third_party/forked/golang/expansion.Expand: <c>$(VAR)</c> through <paramref name="lookup"/>,
    /// <c>$$</c> is <c>$</c>, unresolved references and incomplete ones are kept literally.</summary>
    public static string Expand(string input, Func<string, string?> lookup)
    {
        if (input.IndexOf('$') < 0) return input;
        var buf = new StringBuilder(input.Length);
        int checkpoint = 0;
        for (int cursor = 0; cursor < input.Length; cursor++)
        {
            if (input[cursor] != '$' || cursor + 1 >= input.Length) continue;
            buf.Append(input, checkpoint, cursor - checkpoint);
            char next = input[cursor + 1];
            int advance;
            if (next == '$')
            {
                buf.Append('$');
                advance = 1;
            }
            else if (next == '(')
            {
                int close = input.IndexOf(')', cursor + 2);
                if (close >= 0)
                {
                    string name = input[(cursor + 2)..close];
                    buf.Append(lookup(name) ?? "$(" + name + ")");
                    advance = close - cursor;
                }
                else
                {
                    buf.Append("$(");
                    advance = 1;
                }
            }
            else
            {
                buf.Append('$').Append(next);
                advance = 1;
            }
            cursor += advance;
            checkpoint = cursor + 1;
        }
        buf.Append(input, checkpoint, input.Length - checkpoint);
        return buf.ToString();
    }

    /// <summary>
    /// The container's environment in order (kubelet makeEnvironmentVariables): a value expands
    /// references to variables defined before it; valueFrom resolves fieldRef/resourceFieldRef.
    /// A later definition of a name replaces the earlier one in place.
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Resolve(Pod pod, Container container, DownwardContext context)
    {
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(container);
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var ev in container.Env)
        {
            string value;
            if (!string.IsNullOrEmpty(ev.Value))
                value = Expand(ev.Value, n => values.TryGetValue(n, out var v) ? v : null);
            else if (ev.ValueFrom?.FieldRef is { } fr)
                value = FieldValue(pod, fr.FieldPath, context);
            else if (ev.ValueFrom?.ResourceFieldRef is { } rf)
                value = ResourceValue(pod, container, rf, context);
            else
                value = "";
            if (!values.ContainsKey(ev.Name)) order.Add(ev.Name);
            values[ev.Name] = value;
        }
        return order.Select(n => new KeyValuePair<string, string>(n, values[n])).ToList();
    }

    /// <summary>Command and args with <c>$(VAR)</c> expanded against the final environment.</summary>
    public static IReadOnlyList<string>? ExpandCommand(IReadOnlyList<string>? args, IReadOnlyList<KeyValuePair<string, string>> env)
    {
        if (args is null) return null;
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in env) map[k] = v;
        return args.Select(a => Expand(a, n => map.TryGetValue(n, out var v) ? v : null)).ToList();
    }

    /// <summary>podFieldSelectorRuntimeValue / fieldpath.ExtractFieldPathAsString.</summary>
    public static string FieldValue(Pod pod, string fieldPath, DownwardContext context)
    {
        if (PodValidation.SplitMaybeSubscriptedPath(fieldPath, out string path, out string subscript))
        {
            return path switch
            {
                "metadata.annotations" => pod.Metadata.Annotations.TryGetValue(subscript, out var a) ? a : "",
                "metadata.labels" => pod.Metadata.Labels.TryGetValue(subscript, out var l) ? l : "",
                _ => "",
            };
        }
        return fieldPath switch
        {
            "metadata.name" => pod.Metadata.Name,
            "metadata.namespace" => pod.Metadata.Namespace,
            "metadata.uid" => pod.Metadata.Uid,
            "metadata.labels" => FormatMap(pod.Metadata.Labels),
            "metadata.annotations" => FormatMap(pod.Metadata.Annotations),
            "spec.nodeName" or "spec.host" => pod.Spec.NodeName ?? context.NodeName,
            "spec.serviceAccountName" => pod.Spec.ServiceAccountName,
            "spec.restartPolicy" => pod.Spec.RestartPolicy,
            "status.podIP" => context.PodIP,
            "status.podIPs" => string.Join(',', context.PodIPs.Count > 0 ? context.PodIPs : [context.PodIP]),
            "status.hostIP" => context.HostIP,
            "status.hostIPs" => string.Join(',', context.HostIPs.Count > 0 ? context.HostIPs : [context.HostIP]),
            _ => "",
        };
    }

    /// <summary>fieldpath.FormatMap: sorted <c>key="value"</c> lines (downward API volume files).</summary>
    public static string FormatMap(IReadOnlyDictionary<string, string> map)
    {
        var sb = new StringBuilder();
        foreach (var key in map.Keys.OrderBy(k => k, StringComparer.Ordinal))
            sb.Append(key).Append('=').Append(GoQuote(map[key])).Append('\n');
        return sb.ToString().TrimEnd('\n');
    }

    private static string GoQuote(string s) => ErrorList.Quote(s);

    /// <summary>ExtractContainerResourceValue: ceil(value / divisor); an unset limit is the node's allocatable.</summary>
    public static string ResourceValue(Pod pod, Container container, ResourceFieldSelector fs, DownwardContext context)
    {
        var target = container;
        if (!string.IsNullOrEmpty(fs.ContainerName))
            target = pod.Spec.AllContainers.FirstOrDefault(c => c.Name == fs.ContainerName) ?? container;
        var divisor = fs.Divisor.IsZero ? Quantity.FromInt64(1) : fs.Divisor;
        string[] parts = fs.Resource.Split('.', 2);
        if (parts.Length != 2) return "";
        var list = parts[0] == "limits" ? target.Resources.Limits : target.Resources.Requests;
        string name = parts[1];
        Quantity q;
        if (!list.TryGetValue(name, out q) && parts[0] == "limits")
            context.NodeAllocatable.TryGetValue(name, out q);
        long result = name == "cpu"
            ? (long)Math.Ceiling((double)q.MilliValue / divisor.MilliValue)
            : (long)Math.Ceiling((double)q.Value / divisor.Value);
        return result.ToString(CultureInfo.InvariantCulture);
    }
}
