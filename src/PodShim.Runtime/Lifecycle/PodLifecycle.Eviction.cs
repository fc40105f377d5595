using PodShim.Runtime.Status;

namespace PodShim.Runtime.Lifecycle;

/// <summary>The kubelet's eviction manager evicted the pod (e.g. an emptyDir over its sizeLimit).</summary>
public sealed record PodEvicted(string Message) : LifecycleEvent;

/// <summary>
/// Eviction, as the kubelet does it for local storage: a Warning event "Evicted", every container
/// killed with the immediate-eviction grace period (1 s, raised to the 2 s minimum when it comes
/// to the stop signal), and the pod ends Failed with reason Evicted and the eviction message.
/// </summary>
public sealed partial class PodLifecycle
{
    public const string EvictedReason = "Evicted";

    /// <summary>kubelet eviction_manager immediateEvictionGracePeriodSeconds.</summary>
    internal static readonly TimeSpan ImmediateEvictionGrace = TimeSpan.FromSeconds(1);

    private void OnEvicted(PodEvicted e)
    {
        if (IsFinished || _failureReason is not null)
            return;
        _failureReason = EvictedReason;
        _failureMessage = e.Message;
        _events.Record("Warning", EvictedReason, e.Message);
        if (_terminationGrace is null || _terminationGrace > ImmediateEvictionGrace)
            _terminationGrace = ImmediateEvictionGrace;
    }
}
