using PodShim.Manifest;
using PodShim.Runtime.Pods;
using PodShim.Runtime.Status;

namespace PodShim.Runtime.Kubectl;

/// <summary>The rows of `kubectl get pods` (printers.go printPod and its column definitions), normal and wide.</summary>
public static class PodTable
{
    public static readonly string[] Columns = ["NAME", "READY", "STATUS", "RESTARTS", "AGE"];
    public static readonly string[] WideColumns = ["IP", "NODE", "NOMINATED NODE", "READINESS GATES"];

    public static IReadOnlyList<string> Header(bool wide, bool withNamespace) =>
        [.. withNamespace ? ["NAMESPACE"] : Array.Empty<string>(), .. Columns, .. wide ? WideColumns : []];

    /// <summary>
    /// One pod's cells. AGE counts from the pod's creation (kubectl prints CreationTimestamp), RESTARTS with the time
    /// since the last restart; <paramref name="namePrefix"/> is "pod/" when kubectl would show kinds.
    /// </summary>
    public static IReadOnlyList<string> Row(Pod pod, PodRecord record, PodStatusInfo status, DateTimeOffset now,
        bool wide, bool withNamespace, string namePrefix = "")
    {
        KubectlRow row = KubectlPrinter.Row(pod, status, now);
        var cells = new List<string>(10);
        if (withNamespace)
            cells.Add(record.Namespace);
        cells.AddRange([namePrefix + row.Name, row.Ready, row.Status, row.Restarts, KubectlPrinter.TimestampSince(record.CreationTimestamp, now)]);
        if (wide)
        {
            string node = string.IsNullOrEmpty(pod.Spec.NodeName) ? record.NodeName : pod.Spec.NodeName;
            cells.Add(status.PodIP.Length > 0 ? status.PodIP : "<none>");
            cells.Add(node.Length > 0 ? node : "<none>");
            cells.Add("<none>");
            cells.Add("<none>");
        }
        return cells;
    }

    /// <summary>Cells joined the way kubectl's table printer hands them to its tab writer.</summary>
    public static void Write(TabWriter w, IReadOnlyList<string> cells) => w.Write(string.Join('\t', cells) + "\n");
}
