using PodShim.Runtime.Containers;
using PodShim.Runtime.Probes;

namespace PodShim.Runtime.Lifecycle;

/// <summary>Something that happened to the pod; the lifecycle handles events one at a time.</summary>
public abstract record LifecycleEvent;

public sealed record ContainerStarted(string Container, int Attempt, DateTimeOffset StartedAt) : LifecycleEvent;

/// <summary>An attempt that could not start: Reason is kubelet's (StartError, CreateContainerConfigError, RunContainerError, ErrImagePull).</summary>
public sealed record ContainerStartFailed(string Container, int Attempt, string Reason, string Message, ExitRecord? Exit) : LifecycleEvent;

public sealed record ContainerExited(string Container, int Attempt, ExitRecord Exit) : LifecycleEvent;

public sealed record HookCompleted(string Container, int Attempt, HookKind Kind, bool Success, string Message) : LifecycleEvent;

/// <summary>Delete or Ctrl-C: terminate the pod, containers getting GracePeriod (null: the pod's).</summary>
public sealed record TerminateRequested(TimeSpan? GracePeriod) : LifecycleEvent;

/// <summary>The holder process died: the pod's namespaces are gone.</summary>
public sealed record SandboxLost : LifecycleEvent;

public sealed record SandboxReady : LifecycleEvent;

/// <summary>A timer set by the lifecycle fired (back-off over, grace over, deadline).</summary>
public sealed record TimerFired(long Id) : LifecycleEvent;

/// <summary>A probe of a container attempt crossed its threshold: Success true (started, alive, ready) or false.</summary>
public sealed record ProbeChanged(string Container, int Attempt, ProbeKind Kind, bool Success, string Message) : LifecycleEvent;
