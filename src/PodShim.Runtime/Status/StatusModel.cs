namespace PodShim.Runtime.Status;

/// <summary>A container's state: exactly one of waiting, running or terminated, like <c>v1.ContainerState</c>.</summary>
public abstract record ContainerState;

public sealed record WaitingState(string Reason, string? Message = null) : ContainerState;

public sealed record RunningState(DateTimeOffset StartedAt) : ContainerState;

public sealed record TerminatedState(int ExitCode, int Signal, string Reason, string? Message,
    DateTimeOffset? StartedAt, DateTimeOffset FinishedAt, string? ContainerId = null) : ContainerState;

/// <summary>One entry of <c>status.containerStatuses</c> / <c>status.initContainerStatuses</c>.</summary>
public sealed record ContainerStatusInfo(string Name, string Image, ContainerState State)
{
    /// <summary>The previous attempt's terminated state (<c>lastState</c>); null when there was none.</summary>
    public ContainerState? LastState { get; init; }
    public bool Ready { get; init; }
    public bool? Started { get; init; }
    public int RestartCount { get; init; }
    /// <summary><c>podshim://&lt;pod-uid&gt;/&lt;name&gt;/&lt;attempt&gt;</c>.</summary>
    public string? ContainerId { get; init; }
    public string ImageId { get; init; } = "";

    /// <summary>The previous attempt's terminated state, if any.</summary>
    public TerminatedState? LastTerminated => LastState as TerminatedState;
}

public sealed record PodCondition(string Type, string Status, string? Reason, string? Message, DateTimeOffset LastTransitionTime);

/// <summary>A v1 PodStatus. Equality compares the lists element by element.</summary>
public sealed record PodStatusInfo
{
    public string Phase { get; init; } = "Pending";
    public IReadOnlyList<PodCondition> Conditions { get; init; } = [];
    /// <summary>e.g. <c>DeadlineExceeded</c>.</summary>
    public string? Reason { get; init; }
    public string? Message { get; init; }
    public string HostIP { get; init; } = "";
    public string PodIP { get; init; } = "";
    public DateTimeOffset? StartTime { get; init; }
    public IReadOnlyList<ContainerStatusInfo> InitContainerStatuses { get; init; } = [];
    public IReadOnlyList<ContainerStatusInfo> ContainerStatuses { get; init; } = [];
    /// <summary>podshim's: a delete/termination is in progress (kubectl: deletionTimestamp set).</summary>
    public bool Deleting { get; init; }

    public bool Equals(PodStatusInfo? other) =>
        other is not null
        && Phase == other.Phase
        && Reason == other.Reason
        && Message == other.Message
        && HostIP == other.HostIP
        && PodIP == other.PodIP
        && StartTime == other.StartTime
        && Deleting == other.Deleting
        && Conditions.SequenceEqual(other.Conditions)
        && InitContainerStatuses.SequenceEqual(other.InitContainerStatuses)
        && ContainerStatuses.SequenceEqual(other.ContainerStatuses);

    public override int GetHashCode() =>
        HashCode.Combine(Phase, Reason, Message, PodIP, StartTime, Deleting, Conditions.Count, ContainerStatuses.Count);
}

/// <summary>Pod phases and condition types/statuses as the API spells them.</summary>
public static class PodPhases
{
    public const string Pending = "Pending", Running = "Running", Succeeded = "Succeeded", Failed = "Failed", Unknown = "Unknown";

    public static bool IsTerminal(string phase) => phase is Succeeded or Failed;
}

public static class ConditionTypes
{
    public const string PodScheduled = "PodScheduled";
    public const string PodReadyToStartContainers = "PodReadyToStartContainers";
    public const string Initialized = "Initialized";
    public const string ContainersReady = "ContainersReady";
    public const string Ready = "Ready";
    public const string True = "True", False = "False", Unknown = "Unknown";
}

/// <summary>Waiting/terminated container reasons and pod condition reasons the kubelet uses.</summary>
public static class ContainerReasons
{
    public const string ContainerCreating = "ContainerCreating";
    public const string PodInitializing = "PodInitializing";
    public const string CrashLoopBackOff = "CrashLoopBackOff";
    public const string ErrImagePull = "ErrImagePull";
    public const string ImagePullBackOff = "ImagePullBackOff";
    public const string CreateContainerConfigError = "CreateContainerConfigError";
    public const string RunContainerError = "RunContainerError";
    public const string PostStartHookError = "PostStartHookError";
    public const string Completed = "Completed";
    public const string Error = "Error";
    public const string OOMKilled = "OOMKilled";
    public const string StartError = "StartError";
    public const string DeadlineExceeded = "DeadlineExceeded";

    /// <summary>Pod-level message for <see cref="DeadlineExceeded"/> (kubelet_pods.go / active_deadline.go).</summary>
    public const string DeadlineExceededMessage = "Pod was active on the node longer than the specified deadline";

    /// <summary>
    /// The waiting reason of a container that has not been created yet (convertToAPIContainerStatuses): PodInitializing
    /// for every container, init ones included, of a pod that has init containers; ContainerCreating otherwise.
    /// </summary>
    public static string DefaultWaitingReason(PodShim.Manifest.Pod pod) =>
        pod.Spec.InitContainers.Count > 0 ? PodInitializing : ContainerCreating;

    /// <summary>The terminated reason for an exit: OOMKilled wins, else Completed for 0, else Error.</summary>
    public static string TerminatedReason(int exitCode, bool oomKilled) =>
        oomKilled ? OOMKilled : exitCode == 0 ? Completed : Error;
}
