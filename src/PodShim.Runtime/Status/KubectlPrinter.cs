using System.Globalization;
using PodShim.Manifest;

namespace PodShim.Runtime.Status;

public readonly record struct KubectlRow(string Name, string Ready, string Status, string Restarts, string Age);

/// <summary>kubectl's pod row (pkg/printers/internalversion/printers.go printPod).</summary>
public static class KubectlPrinter
{
    public static KubectlRow Row(Pod pod, PodStatusInfo status, DateTimeOffset now)
    {
        var restarts = 0;
        var sidecarRestarts = 0;
        var total = pod.Spec.Containers.Count + pod.Spec.InitContainers.Count(c => c.IsSidecar);
        var ready = 0;
        DateTimeOffset? lastRestart = null;
        DateTimeOffset? lastSidecarRestart = null;

        var reason = string.IsNullOrEmpty(status.Reason) ? status.Phase : status.Reason;

        var initSpecs = new Dictionary<string, Container>();
        foreach (var c in pod.Spec.InitContainers)
            initSpecs.TryAdd(c.Name, c);

        var initializing = false;
        for (var i = 0; i < status.InitContainerStatuses.Count; i++)
        {
            var c = status.InitContainerStatuses[i];
            var sidecar = initSpecs.TryGetValue(c.Name, out var spec) && spec.IsSidecar;
            restarts += c.RestartCount;
            if (c.LastState is TerminatedState lt)
                lastRestart = Later(lastRestart, lt.FinishedAt);
            if (sidecar)
            {
                sidecarRestarts += c.RestartCount;
                if (c.LastState is TerminatedState slt)
                    lastSidecarRestart = Later(lastSidecarRestart, slt.FinishedAt);
            }

            if (c.State is TerminatedState { ExitCode: 0 })
                continue;
            if (sidecar && c.Started == true)
            {
                if (c.Ready)
                    ready++;
                continue;
            }
            if (c.State is TerminatedState t)
            {
                reason = t.Reason.Length > 0 ? "Init:" + t.Reason
                    : t.Signal != 0 ? "Init:Signal:" + I(t.Signal)
                    : "Init:ExitCode:" + I(t.ExitCode);
            }
            else if (c.State is WaitingState w && w.Reason.Length > 0 && w.Reason != ContainerReasons.PodInitializing)
            {
                reason = "Init:" + w.Reason;
            }
            else
            {
                reason = $"Init:{I(i)}/{I(pod.Spec.InitContainers.Count)}";
            }
            initializing = true;
            break;
        }

        if (!initializing || PodConditions.IsTrue(status.Conditions, ConditionTypes.Initialized))
        {
            // The app containers' count replaces the init containers' (sidecars' restarts are kept).
            restarts = sidecarRestarts;
            lastRestart = lastSidecarRestart;
            var hasRunning = false;
            for (var i = status.ContainerStatuses.Count - 1; i >= 0; i--)
            {
                var c = status.ContainerStatuses[i];
                restarts += c.RestartCount;
                if (c.LastState is TerminatedState lt)
                    lastRestart = Later(lastRestart, lt.FinishedAt);
                if (c.State is WaitingState w && w.Reason.Length > 0)
                    reason = w.Reason;
                else if (c.State is TerminatedState t && t.Reason.Length > 0)
                    reason = t.Reason;
                else if (c.State is TerminatedState t2)
                    reason = t2.Signal != 0 ? "Signal:" + I(t2.Signal) : "ExitCode:" + I(t2.ExitCode);
                else if (c.Ready && c.State is RunningState)
                {
                    hasRunning = true;
                    ready++;
                }
            }

            // Back to Running if a container still runs.
            if (reason == ContainerReasons.Completed && hasRunning)
                reason = PodConditions.IsTrue(status.Conditions, ConditionTypes.Ready) ? "Running" : "NotReady";
        }

        if (status.Deleting && !PodPhases.IsTerminal(status.Phase))
            reason = "Terminating";

        var restartsText = I(restarts);
        if (restarts != 0 && lastRestart is { } lr)
            restartsText = $"{I(restarts)} ({TimestampSince(lr, now)} ago)";

        return new KubectlRow(pod.Metadata.Name, $"{I(ready)}/{I(total)}", reason, restartsText,
            status.StartTime is { } st ? TimestampSince(st, now) : "<unknown>");
    }

    /// <summary>printers.go translateTimestampSince: <see cref="HumanDuration"/> of now − t.</summary>
    public static string TimestampSince(DateTimeOffset t, DateTimeOffset now) => HumanDuration(now - t);

    public static string ShortHumanDuration(TimeSpan d) => Durations.ShortHumanDuration(d);

    public static string HumanDuration(TimeSpan d) => Durations.HumanDuration(d);

    private static DateTimeOffset Later(DateTimeOffset? a, DateTimeOffset b) => a is { } x && x >= b ? x : b;

    private static string I(int v) => v.ToString(CultureInfo.InvariantCulture);
}
