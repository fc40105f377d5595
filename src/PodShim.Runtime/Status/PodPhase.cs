using PodShim.Manifest;

namespace PodShim.Runtime.Status;

/// <summary>The kubelet's <c>getPhase</c> (kubelet_pods.go), with the default feature gates.</summary>
public static class PodPhase
{
    /// <summary>
    /// Phase of one pod from its init statuses (regular and sidecar, told apart by the spec), its app statuses and the
    /// pod's restartPolicy. <paramref name="podIsTerminal"/>: the pod will not run again (deleted, deadline exceeded …):
    /// all stopped → Succeeded if all exited 0, else Failed, whatever the restart policy.
    /// </summary>
    public static string Compute(Pod pod, IReadOnlyList<ContainerStatusInfo> init, IReadOnlyList<ContainerStatusInfo> apps, bool podIsTerminal = false) =>
        Compute(pod, init, apps, podIsTerminal, podHasInitialized: apps.Any(s => s.State is RunningState));

    /// <summary>
    /// As <see cref="Compute(Pod, IReadOnlyList{ContainerStatusInfo}, IReadOnlyList{ContainerStatusInfo}, bool)"/>, with
    /// the kubelet's <c>podHasInitialized</c> (an app container is running) given explicitly: a pod whose sidecar restarts
    /// after the app containers ran does not go back to Pending.
    /// </summary>
    public static string Compute(Pod pod, IReadOnlyList<ContainerStatusInfo> init, IReadOnlyList<ContainerStatusInfo> apps,
        bool podIsTerminal, bool podHasInitialized)
    {
        var spec = pod.Spec;
        int pendingRegularInit = 0, pendingSidecar = 0, failedInit = 0;

        foreach (var c in spec.InitContainers)
        {
            if (c.IsSidecar)
                continue;
            var s = Find(init, apps, c.Name);
            switch (s?.State)
            {
                case null:
                case RunningState:
                    pendingRegularInit++;
                    break;
                case TerminatedState t:
                    if (t.ExitCode != 0)
                        failedInit++;
                    break;
                case WaitingState:
                    if (s.LastState is TerminatedState last)
                    {
                        if (last.ExitCode != 0)
                            failedInit++;
                    }
                    else
                    {
                        pendingRegularInit++;
                    }
                    break;
                default:
                    pendingRegularInit++;
                    break;
            }
        }

        int unknown = 0, running = 0, waiting = 0, stopped = 0, succeeded = 0;

        foreach (var c in spec.InitContainers)
        {
            if (!c.IsSidecar)
                continue;
            var s = Find(init, apps, c.Name);
            if (s is null)
            {
                unknown++;
                continue;
            }
            switch (s.State)
            {
                case RunningState:
                    if (s.Started != true)
                        pendingSidecar++;
                    running++;
                    break;
                case TerminatedState:
                    break; // a stopped sidecar does not count for the phase
                case WaitingState:
                    if (s.LastState is not TerminatedState)
                    {
                        pendingSidecar++;
                        waiting++;
                    }
                    break;
                default:
                    pendingSidecar++;
                    unknown++;
                    break;
            }
        }

        foreach (var c in spec.Containers)
        {
            var s = Find(apps, init, c.Name);
            switch (s?.State)
            {
                case null:
                    unknown++;
                    break;
                case RunningState:
                    running++;
                    break;
                case TerminatedState t:
                    stopped++;
                    if (t.ExitCode == 0)
                        succeeded++;
                    break;
                case WaitingState:
                    if (s.LastState is TerminatedState)
                        stopped++;
                    else
                        waiting++;
                    break;
                default:
                    unknown++;
                    break;
            }
        }

        if (failedInit > 0 && spec.RestartPolicy == "Never")
            return PodPhases.Failed;

        if (pendingRegularInit > 0 || (pendingSidecar > 0 && !podHasInitialized) || waiting > 0)
            return PodPhases.Pending;
        if (running > 0 && unknown == 0)
            return PodPhases.Running;
        if (running == 0 && stopped > 0 && unknown == 0)
        {
            if (podIsTerminal)
                return stopped == succeeded ? PodPhases.Succeeded : PodPhases.Failed;
            if (spec.RestartPolicy == "Always")
                return PodPhases.Running;
            if (stopped == succeeded)
                return PodPhases.Succeeded;
            if (spec.RestartPolicy == "Never")
                return PodPhases.Failed;
            return PodPhases.Running; // OnFailure: a failed one is restarting
        }
        return PodPhases.Pending;
    }

    /// <summary>
    /// The kubelet's three-way merge: once a pod's phase is terminal (Succeeded/Failed) it never leaves it.
    /// </summary>
    public static string KeepTerminal(string previousPhase, string computed) =>
        PodPhases.IsTerminal(previousPhase) && previousPhase != computed ? previousPhase : computed;

    // The kubelet looks statuses up by name in init and app statuses together (names are unique in a pod).
    private static ContainerStatusInfo? Find(IReadOnlyList<ContainerStatusInfo> first, IReadOnlyList<ContainerStatusInfo> second, string name)
    {
        foreach (var s in first)
            if (s.Name == name)
                return s;
        foreach (var s in second)
            if (s.Name == name)
                return s;
        return null;
    }

    internal static ContainerStatusInfo? FindIn(IReadOnlyList<ContainerStatusInfo> list, string name)
    {
        foreach (var s in list)
            if (s.Name == name)
                return s;
        return null;
    }
}
