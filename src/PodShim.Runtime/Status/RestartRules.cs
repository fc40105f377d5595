namespace PodShim.Runtime.Status;

public enum ContainerKind { Init, Sidecar, App }

/// <summary>Which exits the kubelet restarts (kuberuntime_manager.go computePodActions / ShouldContainerBeRestarted).</summary>
public static class RestartRules
{
    /// <summary>
    /// App containers follow the pod policy (Always; OnFailure only for exit ≠ 0; Never). A regular init container is
    /// restarted only after a failure and only when the pod policy is not Never (Always acts as OnFailure).
    /// A sidecar (init container with restartPolicy Always) is restarted on every exit.
    /// </summary>
    public static bool ShouldRestart(ContainerKind kind, string podRestartPolicy, int exitCode) => kind switch
    {
        ContainerKind.Sidecar => true,
        ContainerKind.Init => exitCode != 0 && podRestartPolicy != "Never",
        ContainerKind.App => podRestartPolicy switch
        {
            "Always" => true,
            "OnFailure" => exitCode != 0,
            _ => false,
        },
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>The kind of a container of the pod spec.</summary>
    public static ContainerKind KindOf(PodShim.Manifest.Container container, bool isInit) =>
        !isInit ? ContainerKind.App : container.IsSidecar ? ContainerKind.Sidecar : ContainerKind.Init;
}

/// <summary>
/// The kubelet's per-container crash back-off (client-go flowcontrol.Backoff with 10 s initial and 300 s max, as the
/// kubelet configures it): the first restart is immediate, then 10, 20, 40, 80, 160, 300, 300 … s; no jitter. When the
/// container ran longer than 600 s (2 × max) before exiting, the sequence starts again.
/// </summary>
public sealed class BackOffPolicy
{
    public static readonly TimeSpan Initial = TimeSpan.FromSeconds(10), Max = TimeSpan.FromSeconds(300), ResetAfterRunning = TimeSpan.FromSeconds(600);

    private TimeSpan _next = TimeSpan.Zero;

    /// <summary>The delay before this restart. Call once per restart decision.</summary>
    public TimeSpan NextDelay(TimeSpan lastRunDuration)
    {
        if (lastRunDuration > ResetAfterRunning)
            _next = TimeSpan.Zero;
        Current = _next;
        _next = _next == TimeSpan.Zero ? Initial : _next + _next > Max ? Max : _next + _next;
        return Current;
    }

    /// <summary>The last delay returned by <see cref="NextDelay"/> (zero before the first call).</summary>
    public TimeSpan Current { get; private set; }

    /// <summary>The delay the next call would return (before the 600 s reset rule): saved for recovery.</summary>
    public TimeSpan Upcoming => _next;

    /// <summary>Puts back a saved state (<see cref="Current"/>, <see cref="Upcoming"/>): a recovered supervisor goes on with the sequence.</summary>
    public void Restore(TimeSpan current, TimeSpan upcoming)
    {
        Current = current;
        _next = upcoming;
    }

    /// <summary>Forgets the history: the next delay is 0 (a new pod sandbox, a new pod).</summary>
    public void Reset()
    {
        _next = TimeSpan.Zero;
        Current = TimeSpan.Zero;
    }

    /// <summary>
    /// The CrashLoopBackOff waiting message, as kuberuntime_manager.go doBackOff words it, the delay printed like Go's
    /// Duration: <c>back-off 40s restarting failed container=C pod=P_NS(UID)</c>, <c>back-off 5m0s …</c>.
    /// </summary>
    public static string Message(TimeSpan delay, string container, PodShim.Manifest.Pod pod) =>
        $"back-off {Durations.GoString(delay)} restarting failed container={container} pod={FormatPod(pod)}";

    /// <summary>The BackOff event message: <c>Back-off restarting failed container C in pod P_NS(UID)</c>.</summary>
    public static string EventMessage(string container, PodShim.Manifest.Pod pod) =>
        $"Back-off restarting failed container {container} in pod {FormatPod(pod)}";

    /// <summary>kubelet's format.Pod: <c>NAME_NAMESPACE(UID)</c>.</summary>
    public static string FormatPod(PodShim.Manifest.Pod pod) =>
        $"{pod.Metadata.Name}_{pod.Metadata.Namespace}({pod.Metadata.Uid})";
}
