using PodShim.Runtime.Status;

namespace PodShim.Runtime.Lifecycle;

/// <summary>
/// Everything <see cref="PodLifecycle"/> knows that the keepers' files do not: which attempt each container is on,
/// restart counts, back-off state and due times, probe results, termination in progress. Saved as the pod's
/// checkpoint (lifecycle.json) so that a new supervisor can go on where a killed one stopped.
/// </summary>
public sealed record LifecycleSnapshot
{
    public DateTimeOffset? StartTime { get; init; }
    public bool Initialized { get; init; }
    public bool SandboxReady { get; init; }
    public bool Terminating { get; init; }
    public TimeSpan? TerminationGrace { get; init; }
    public string? FailureReason { get; init; }
    public string? FailureMessage { get; init; }
    public bool FailPodForInit { get; init; }
    public bool Finished { get; init; }
    public IReadOnlyList<PodCondition> Conditions { get; init; } = [];
    public IReadOnlyList<ContainerSnapshot> Containers { get; init; } = [];

    public ContainerSnapshot? Container(string name) => Containers.FirstOrDefault(c => c.Name == name);
}

/// <summary>One container's place in its life (see <see cref="LifecycleSnapshot"/>).</summary>
public sealed record ContainerSnapshot
{
    public required string Name { get; init; }
    public ContainerPhase Phase { get; init; }
    /// <summary>The attempt being made or last made (-1: none yet).</summary>
    public int Attempt { get; init; } = -1;
    public int RestartCount { get; init; }
    public string? ContainerId { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public TerminatedState? Last { get; init; }
    public TerminatedState? Previous { get; init; }
    public string? WaitingReason { get; init; }
    public string? WaitingMessage { get; init; }
    public TimeSpan BackOffCurrent { get; init; }
    public TimeSpan BackOffUpcoming { get; init; }
    /// <summary>When the container's pending timer (back-off end, SIGKILL after the grace) falls due.</summary>
    public DateTimeOffset? TimerDue { get; init; }
    public bool StartupPassed { get; init; }
    public bool ReadinessPassed { get; init; }
    public bool Retiring { get; init; }
    public bool PostStartFailed { get; init; }
    public bool ProbeFailed { get; init; }
    public TimeSpan? StopRequested { get; init; }
    public DateTimeOffset StopStarted { get; init; }
    public TimeSpan StopGrace { get; init; }

    /// <summary>A process of this attempt may exist (it was being started, run, or stopped).</summary>
    public bool HasProcess => Phase is ContainerPhase.Starting or ContainerPhase.PostStart or ContainerPhase.Running or ContainerPhase.Stopping;
}
