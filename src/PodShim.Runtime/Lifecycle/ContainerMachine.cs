namespace PodShim.Runtime.Lifecycle;

/// <summary>Where one container of the pod is in its life (a kubelet container, across attempts).</summary>
public enum ContainerPhase
{
    /// <summary>Never started yet (PodInitializing / ContainerCreating).</summary>
    Waiting,
    /// <summary>An attempt is being created and started.</summary>
    Starting,
    /// <summary>The process runs; its postStart hook has not returned yet.</summary>
    PostStart,
    Running,
    /// <summary>Being stopped: preStop, then the stop signal, then SIGKILL.</summary>
    Stopping,
    /// <summary>The attempt ended; the restart decision is pending.</summary>
    Exited,
    /// <summary>Waiting out a restart back-off (CrashLoopBackOff).</summary>
    BackOff,
    /// <summary>Will not run again while the pod lives.</summary>
    Done,
}

/// <summary>An event a container's state does not allow: a bug in the caller, never ignored.</summary>
public sealed class IllegalTransitionException(string container, ContainerPhase from, ContainerPhase to)
    : InvalidOperationException($"container \"{container}\": illegal transition {from} -> {to}");

/// <summary>
/// One container's state with an explicit transition table (as containerd's shim keeps its task
/// state): every change goes through <see cref="MoveTo"/>, which refuses what the table does not list.
/// </summary>
public sealed class ContainerMachine
{
    private static readonly Dictionary<ContainerPhase, ContainerPhase[]> s_allowed = new()
    {
        [ContainerPhase.Waiting] = [ContainerPhase.Starting, ContainerPhase.Done],
        [ContainerPhase.Starting] = [ContainerPhase.PostStart, ContainerPhase.Running, ContainerPhase.Exited, ContainerPhase.Stopping],
        [ContainerPhase.PostStart] = [ContainerPhase.Running, ContainerPhase.Stopping, ContainerPhase.Exited],
        [ContainerPhase.Running] = [ContainerPhase.Stopping, ContainerPhase.Exited],
        [ContainerPhase.Stopping] = [ContainerPhase.Exited],
        [ContainerPhase.Exited] = [ContainerPhase.Starting, ContainerPhase.BackOff, ContainerPhase.Done],
        [ContainerPhase.BackOff] = [ContainerPhase.Starting, ContainerPhase.Done],
        [ContainerPhase.Done] = [],
    };

    public ContainerMachine(string name) => Name = name;

    /// <summary>A machine put back in a saved phase by recovery (not a transition: nothing happens on the way).</summary>
    public static ContainerMachine Restored(string name, ContainerPhase phase) => new(name) { Phase = phase };

    public string Name { get; }
    public ContainerPhase Phase { get; private set; } = ContainerPhase.Waiting;

    public static bool IsAllowed(ContainerPhase from, ContainerPhase to) => s_allowed[from].Contains(to);

    public void MoveTo(ContainerPhase to)
    {
        if (!IsAllowed(Phase, to))
            throw new IllegalTransitionException(Name, Phase, to);
        Phase = to;
    }

    /// <summary>A process of this container may be alive.</summary>
    public bool HasProcess => Phase is ContainerPhase.Starting or ContainerPhase.PostStart or ContainerPhase.Running or ContainerPhase.Stopping;
}
