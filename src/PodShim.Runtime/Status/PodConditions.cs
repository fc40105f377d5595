using PodShim.Manifest;

namespace PodShim.Runtime.Status;

/// <summary>The kubelet's pod conditions (pkg/kubelet/status/generate.go) with the status manager's transition times.</summary>
public static class PodConditions
{
    public const string UnknownContainerStatuses = "UnknownContainerStatuses";
    public const string PodCompleted = "PodCompleted";
    public const string PodFailed = "PodFailed";
    public const string ContainersNotReady = "ContainersNotReady";
    public const string ContainersNotInitialized = "ContainersNotInitialized";

    /// <summary>
    /// In the kubelet's order: PodReadyToStartContainers (True iff <paramref name="sandboxReady"/>), Initialized, Ready,
    /// ContainersReady, PodScheduled (True). LastTransitionTime is kept from <paramref name="previous"/> when that
    /// condition's status did not change, else <paramref name="now"/>.
    /// </summary>
    public static IReadOnlyList<PodCondition> Compute(Pod pod, IReadOnlyList<ContainerStatusInfo> init, IReadOnlyList<ContainerStatusInfo> apps,
        string phase, bool sandboxReady, IReadOnlyList<PodCondition> previous, DateTimeOffset now)
    {
        var containersReady = ContainersReady(pod, init, apps, phase);
        (string Type, string Status, string? Reason, string? Message)[] raw =
        [
            (ConditionTypes.PodReadyToStartContainers, sandboxReady ? ConditionTypes.True : ConditionTypes.False, null, null),
            Initialized(pod, init, apps, phase),
            // Ready mirrors ContainersReady (no readiness gates in podshim).
            (ConditionTypes.Ready, containersReady.Status, containersReady.Reason, containersReady.Message),
            containersReady,
            (ConditionTypes.PodScheduled, ConditionTypes.True, null, null),
        ];
        var result = new PodCondition[raw.Length];
        for (var i = 0; i < raw.Length; i++)
        {
            var (type, status, reason, message) = raw[i];
            var old = previous.FirstOrDefault(p => p.Type == type);
            var since = old is not null && old.Status == status ? old.LastTransitionTime : now;
            result[i] = new PodCondition(type, status, reason, message, since);
        }
        return result;
    }

    /// <summary>Whether the condition of <paramref name="type"/> is True in <paramref name="conditions"/>.</summary>
    public static bool IsTrue(IReadOnlyList<PodCondition> conditions, string type) =>
        conditions.Any(c => c.Type == type && c.Status == ConditionTypes.True);

    private static (string, string, string?, string?) Initialized(Pod pod, IReadOnlyList<ContainerStatusInfo> init,
        IReadOnlyList<ContainerStatusInfo> apps, string phase)
    {
        var unknown = new List<string>();
        var incomplete = new List<string>();
        foreach (var c in pod.Spec.InitContainers)
        {
            var s = PodPhase.FindIn(init, c.Name);
            if (s is null)
            {
                unknown.Add(c.Name);
                continue;
            }
            if (!IsInitialized(c, s))
                incomplete.Add(c.Name);
        }

        if (phase == PodPhases.Succeeded && unknown.Count == 0)
            return (ConditionTypes.Initialized, ConditionTypes.True, PodCompleted, null);

        // An app container that ran means the pod was initialized (sidecars may be restarting).
        if (pod.Spec.Containers.Any(c => PodPhase.FindIn(apps, c.Name)?.State is RunningState or TerminatedState))
            return (ConditionTypes.Initialized, ConditionTypes.True, null, null);

        var message = Message(unknown, "containers with unknown status: ", incomplete, "containers with incomplete status: ");
        return message is null
            ? (ConditionTypes.Initialized, ConditionTypes.True, null, null)
            : (ConditionTypes.Initialized, ConditionTypes.False, ContainersNotInitialized, message);
    }

    // A sidecar is initialized once started; a regular init container once ready, which the kubelet's prober manager
    // sets exactly when it terminated with exit code 0 (so either is taken here).
    private static bool IsInitialized(Container c, ContainerStatusInfo s) =>
        c.IsSidecar ? s.Started == true : s.Ready || s.State is TerminatedState { ExitCode: 0 };

    private static (string Type, string Status, string? Reason, string? Message) ContainersReady(Pod pod,
        IReadOnlyList<ContainerStatusInfo> init, IReadOnlyList<ContainerStatusInfo> apps, string phase)
    {
        var unknown = new List<string>();
        var unready = new List<string>();
        foreach (var c in pod.Spec.InitContainers.Where(c => c.IsSidecar))
            Classify(PodPhase.FindIn(init, c.Name), c.Name);
        foreach (var c in pod.Spec.Containers)
            Classify(PodPhase.FindIn(apps, c.Name), c.Name);

        if (phase == PodPhases.Succeeded && unknown.Count == 0)
            return (ConditionTypes.ContainersReady, ConditionTypes.False, PodCompleted, null);
        if (phase == PodPhases.Failed)
            return (ConditionTypes.ContainersReady, ConditionTypes.False, PodFailed, null);

        var message = Message(unknown, "containers with unknown status: ", unready, "containers with unready status: ");
        return message is null
            ? (ConditionTypes.ContainersReady, ConditionTypes.True, null, null)
            : (ConditionTypes.ContainersReady, ConditionTypes.False, ContainersNotReady, message);

        void Classify(ContainerStatusInfo? s, string name)
        {
            if (s is null)
                unknown.Add(name);
            else if (!s.Ready)
                unready.Add(name);
        }
    }

    // Go's fmt "%s" of a []string: "[a b]"; the parts joined by ", ".
    private static string? Message(List<string> first, string firstPrefix, List<string> second, string secondPrefix)
    {
        var parts = new List<string>(2);
        if (first.Count > 0)
            parts.Add(firstPrefix + "[" + string.Join(' ', first) + "]");
        if (second.Count > 0)
            parts.Add(secondPrefix + "[" + string.Join(' ', second) + "]");
        return parts.Count == 0 ? null : string.Join(", ", parts);
    }
}
