using System.Collections.Concurrent;
using PodShim.Manifest;
using PodShim.Runtime.Containers;
using PodShim.Runtime.Probes;
using PodShim.Runtime.Status;

namespace PodShim.Runtime.Lifecycle;

/// <summary>Receives the pod's events (kubelet's Scheduled, Started, Killing, BackOff …).</summary>
public interface IEventRecorder
{
    void Record(string type, string reason, string message, string? container = null);
}

/// <summary>
/// The kubelet's pod lifecycle for one pod, as a single-threaded state machine: events in
/// (<see cref="Post"/>, handled by <see cref="HandlePending"/>), calls to <see cref="IPodRuntime"/> out.
/// Every timing rule runs on <see cref="TimeProvider"/> timers, so a fake clock drives the tests.
/// The semantics are those of shared/reference/pod-semantics.md.
/// </summary>
public sealed partial class PodLifecycle
{
    public const string DeadlineMessage = "Pod was active on the node longer than the specified deadline";
    private static readonly TimeSpan MinimumGrace = TimeSpan.FromSeconds(2);
    private const int SIGKILL = 9;

    private readonly Pod _pod;
    private readonly IPodRuntime _runtime;
    private readonly TimeProvider _time;
    private readonly IEventRecorder _events;
    private readonly ConcurrentQueue<LifecycleEvent> _queue = new();
    private readonly List<Slot> _init = new();
    private readonly List<Slot> _apps = new();
    // Timers stay referenced here until they fire or are cancelled (an unreferenced timer may be collected).
    private readonly Dictionary<long, (Action Action, ITimer Timer, DateTimeOffset Due)> _timers = new();
    private long _nextTimer;
    private bool _initialized;
    private bool _sandboxReady;
    private bool _terminating;
    private bool _recreatingSandbox;
    private TimeSpan? _terminationGrace;
    private string? _failureReason;
    private string? _failureMessage;
    private DateTimeOffset? _startTime;
    private IReadOnlyList<PodCondition> _conditions = [];

    public PodLifecycle(Pod pod, IPodRuntime runtime, TimeProvider time, IEventRecorder events)
    {
        _pod = pod;
        _runtime = runtime;
        _time = time;
        _events = events;
        foreach (Container c in pod.Spec.InitContainers)
            _init.Add(new Slot(c, c.IsSidecar ? ContainerKind.Sidecar : ContainerKind.Init));
        foreach (Container c in pod.Spec.Containers)
            _apps.Add(new Slot(c, ContainerKind.App));
        Status = BuildStatus();
    }

    /// <summary>The latest status (rebuilt after every handled event).</summary>
    public PodStatusInfo Status { get; private set; }

    /// <summary>Raised (on the handling thread) whenever <see cref="Status"/> changed.</summary>
    public event Action<PodStatusInfo>? StatusChanged;

    /// <summary>Set when an event is posted, for a driver that waits for work.</summary>
    public event Action? EventPosted;

    /// <summary>
    /// Raised when <see cref="Snapshot"/> should be saved: after every batch of events, and before every container
    /// start (so that a supervisor killed during a start knows which attempt it was making).
    /// </summary>
    public event Action? Checkpoint;

    /// <summary>The pod has reached its end: no container runs and none will start again.</summary>
    public bool IsFinished { get; private set; }

    /// <summary>Thread-safe: queue an event for <see cref="HandlePending"/>.</summary>
    public void Post(LifecycleEvent e)
    {
        _queue.Enqueue(e);
        EventPosted?.Invoke();
    }

    /// <summary>The sandbox is up: start the pod (records its start time and arms the deadline).</summary>
    public void Start()
    {
        _startTime = _time.GetUtcNow();
        _sandboxReady = true;
        _events.Record("Normal", "Scheduled", $"Successfully assigned {_pod.Metadata.Namespace}/{_pod.Metadata.Name} to {NodeName}");
        if (_pod.Spec.ActiveDeadlineSeconds is long deadline)
            After(TimeSpan.FromSeconds(deadline), OnDeadline);
        Sync();
        Publish();
        Checkpoint?.Invoke();
    }

    /// <summary>Handles every queued event, then publishes the status once.</summary>
    public void HandlePending()
    {
        bool any = false;
        while (_queue.TryDequeue(out LifecycleEvent? e))
        {
            Handle(e);
            any = true;
        }
        if (any)
        {
            Publish();
            Checkpoint?.Invoke();
        }
    }

    public static string NodeName => Environment.MachineName;

    // ---- events ----

    private void Handle(LifecycleEvent e)
    {
        switch (e)
        {
            case ContainerStarted s:
                OnStarted(SlotFor(s.Container), s);
                break;
            case ContainerStartFailed f:
                OnStartFailed(SlotFor(f.Container), f);
                break;
            case ContainerExited x:
                OnExited(SlotFor(x.Container), x);
                break;
            case HookCompleted h:
                OnHook(SlotFor(h.Container), h);
                break;
            case ProbeChanged p:
                OnProbe(SlotFor(p.Container), p);
                break;
            case TerminateRequested t:
                if (!_terminating)
                {
                    _terminating = true;
                    _terminationGrace = t.GracePeriod;
                }
                break;
            case SandboxLost:
                OnSandboxLost();
                break;
            case SandboxReady:
                OnSandboxReady();
                break;
            case PodEvicted evicted:
                OnEvicted(evicted);
                break;
            case TimerFired t:
                if (_timers.Remove(t.Id, out var timer))
                {
                    timer.Timer.Dispose();
                    timer.Action();
                }
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(e), e, "unknown lifecycle event");
        }
        Sync();
    }

    private void OnStarted(Slot slot, ContainerStarted e)
    {
        if (e.Attempt != slot.Attempt)
            return;
        slot.StartedAt = e.StartedAt;
        slot.WaitingReason = null;
        slot.WaitingMessage = null;
        _events.Record("Normal", "Started", $"Started container {slot.Name}", slot.Name);
        if (slot.Spec.Lifecycle?.PostStart is { } hook)
        {
            slot.Machine.MoveTo(ContainerPhase.PostStart);
            _runtime.RunHook(slot.Spec, slot.Attempt, HookKind.PostStart, hook);
        }
        else
        {
            EnterRunning(slot);
        }
        if (slot.StopRequested is { } grace && slot.Machine.Phase != ContainerPhase.Stopping)
            Stop(slot, grace, reasonEvent: false);
    }

    private void OnStartFailed(Slot slot, ContainerStartFailed e)
    {
        if (e.Attempt != slot.Attempt)
            return;
        _events.Record("Warning", "Failed", e.Message, slot.Name);
        if (e.Exit is { } exit)
        {
            // The process existed and could not exec: a terminated attempt (kubelet: StartError).
            Terminated(slot, exit, ContainerReasons.StartError, e.Message);
            return;
        }
        // Nothing ran (config or image problem): retried after a back-off, no restart counted.
        slot.Machine.MoveTo(ContainerPhase.Exited);
        slot.Attempt--;
        slot.WaitingReason = e.Reason;
        slot.WaitingMessage = e.Message;
        if (_terminating || _failureReason is not null)
        {
            slot.Machine.MoveTo(ContainerPhase.Done);
            return;
        }
        TimeSpan delay = slot.BackOff.NextDelay(TimeSpan.Zero);
        slot.Machine.MoveTo(ContainerPhase.BackOff);
        if (e.Reason == ContainerReasons.ErrImagePull)
            slot.WaitingReason = ContainerReasons.ImagePullBackOff;
        slot.Timer = After(delay, () => RetryAfterBackOff(slot));
    }

    private void OnExited(Slot slot, ContainerExited e)
    {
        if (e.Attempt != slot.Attempt)
            return;
        string reason = ContainerReasons.TerminatedReason(e.Exit.ExitCode, e.Exit.OomKilled);
        Terminated(slot, e.Exit, reason, null);
    }

    /// <summary>An attempt ended: record it, then restart it, back off, or retire it.</summary>
    private void Terminated(Slot slot, ExitRecord exit, string reason, string? message)
    {
        CancelTimer(slot);
        if (slot.Machine.Phase is ContainerPhase.Waiting or ContainerPhase.BackOff or ContainerPhase.Done)
            return;
        StopProbes(slot);
        DateTimeOffset finished = exit.FinishedAt;
        slot.Previous = slot.Last;
        slot.Last = new TerminatedState(exit.ExitCode, exit.Signal, reason, message, slot.StartedAt ?? exit.StartedAt, finished, slot.ContainerId);
        slot.Machine.MoveTo(ContainerPhase.Exited);
        slot.StopRequested = null;
        TimeSpan ran = slot.StartedAt is { } started ? finished - started : TimeSpan.Zero;
        slot.StartedAt = null;

        // A postStart failure counts as a failed run whatever the exit code of the kill.
        bool restart = !_terminating && _failureReason is null && _sandboxReady && !slot.Retiring
            && RestartRules.ShouldRestart(slot.Kind, _pod.Spec.RestartPolicy, slot.PostStartFailed || slot.ProbeFailed ? 1 : exit.ExitCode);
        slot.PostStartFailed = false;
        slot.ProbeFailed = false;
        if (!restart)
        {
            slot.Machine.MoveTo(ContainerPhase.Done);
            // A failed init container that is not restarted (restartPolicy Never) fails the pod.
            if (slot.Kind == ContainerKind.Init && (exit.ExitCode != 0 || slot.Last.Reason != ContainerReasons.Completed)
                && !_terminating && _sandboxReady && !slot.Retiring)
                FailPodForInit = true;
            return;
        }
        TimeSpan delay = slot.BackOff.NextDelay(ran);
        if (delay <= TimeSpan.Zero)
        {
            slot.Machine.MoveTo(ContainerPhase.Starting);
            Launch(slot, restart: true);
            return;
        }
        slot.Machine.MoveTo(ContainerPhase.BackOff);
        slot.WaitingReason = ContainerReasons.CrashLoopBackOff;
        slot.WaitingMessage = BackOffPolicy.Message(delay, slot.Name, _pod);
        _events.Record("Warning", "BackOff", $"Back-off restarting failed container {slot.Name} in pod {_pod.Metadata.Name}_{_pod.Metadata.Namespace}({_pod.Metadata.Uid})", slot.Name);
        slot.Timer = After(delay, () => RetryAfterBackOff(slot));
    }

    private bool FailPodForInit { get; set; }

    private void RetryAfterBackOff(Slot slot)
    {
        slot.Timer = null;
        if (slot.Machine.Phase != ContainerPhase.BackOff)
            return;
        if (_terminating || _failureReason is not null || !_sandboxReady)
        {
            slot.Machine.MoveTo(ContainerPhase.Done);
            return;
        }
        // Init containers restart only in their turn; Sync starts them.
        slot.Machine.MoveTo(ContainerPhase.Starting);
        Launch(slot, restart: slot.Last is not null);
    }

    private void OnHook(Slot slot, HookCompleted h)
    {
        if (h.Attempt != slot.Attempt)
            return;
        if (h.Kind == HookKind.PostStart)
        {
            if (slot.Machine.Phase != ContainerPhase.PostStart)
                return;
            if (h.Success)
            {
                EnterRunning(slot);
                return;
            }
            _events.Record("Warning", "FailedPostStartHook", h.Message, slot.Name);
            slot.PostStartFailed = true;
            slot.WaitingReason = ContainerReasons.PostStartHookError;
            slot.WaitingMessage = h.Message;
            Stop(slot, PodGrace, reasonEvent: true);
            return;
        }
        // preStop done (or failed: it does not matter): go on with the stop signal.
        if (slot.Machine.Phase == ContainerPhase.Stopping && slot.PreStopRunning)
            AfterPreStop(slot);
    }

    private void EnterRunning(Slot slot)
    {
        slot.Machine.MoveTo(ContainerPhase.Running);
        // Without a startup probe a running container is started; without a readiness probe, ready.
        slot.StartupPassed = slot.Spec.StartupProbe is null;
        slot.ReadinessPassed = false;
        if (slot.Spec.StartupProbe is not null || slot.Spec.LivenessProbe is not null || slot.Spec.ReadinessProbe is not null)
        {
            slot.ProbesRunning = true;
            _runtime.StartProbes(slot.Spec, slot.Attempt);
        }
    }

    private void OnProbe(Slot slot, ProbeChanged p)
    {
        if (p.Attempt != slot.Attempt || slot.Machine.Phase != ContainerPhase.Running)
            return;
        switch (p.Kind)
        {
            case ProbeKind.Startup when p.Success:
                slot.StartupPassed = true;
                break;
            case ProbeKind.Readiness:
                slot.ReadinessPassed = p.Success;
                break;
            case ProbeKind.Startup or ProbeKind.Liveness when !p.Success:
                // Killed with the probe's grace when it sets one, and restarted per policy as a failure.
                string which = p.Kind == ProbeKind.Startup ? "startup" : "liveness";
                _events.Record("Normal", "Killing", $"Container {slot.Name} failed {which} probe, will be restarted", slot.Name);
                slot.ProbeFailed = true;
                Probe probe = p.Kind == ProbeKind.Startup ? slot.Spec.StartupProbe! : slot.Spec.LivenessProbe!;
                TimeSpan grace = probe.TerminationGracePeriodSeconds is long g ? TimeSpan.FromSeconds(g) : PodGrace;
                Stop(slot, grace, reasonEvent: false);
                break;
        }
    }

    private void OnDeadline()
    {
        if (IsFinished || _failureReason is not null)
            return;
        _failureReason = ContainerReasons.DeadlineExceeded;
        _failureMessage = DeadlineMessage;
        _events.Record("Normal", "DeadlineExceeded", DeadlineMessage);
    }

    private void OnSandboxLost()
    {
        if (!_sandboxReady)
            return;
        _sandboxReady = false;
        _events.Record("Normal", "SandboxChanged", "Pod sandbox changed, it will be killed and re-created.");
    }

    private void OnSandboxReady()
    {
        _sandboxReady = true;
        _recreatingSandbox = false;
        // A new sandbox starts the pod over from its init containers.
        _initialized = false;
        foreach (Slot s in _init)
            s.ResetForNewSandbox();
        foreach (Slot s in _apps)
            s.ResetForNewSandbox();
    }

    // ---- decisions ----

    /// <summary>kubelet's SyncPod for this pod: what to start or stop now.</summary>
    private void Sync()
    {
        if (IsFinished)
            return;
        bool stopAll = _terminating || _failureReason is not null || FailPodForInit || !_sandboxReady;
        if (stopAll)
        {
            StopEverything();
            if (!_sandboxReady && !_terminating && _failureReason is null && !FailPodForInit && AllStopped())
            {
                if (_pod.Spec.RestartPolicy == "Never" && EverStarted())
                {
                    _failureReason = "SandboxLost";
                    _failureMessage = "the pod's sandbox was lost and restartPolicy is Never";
                }
                else
                {
                    if (!_recreatingSandbox)
                    {
                        _recreatingSandbox = true;
                        _runtime.RecreateSandbox();
                    }
                    return;
                }
            }
            if (AllStopped())
                IsFinished = true;
            return;
        }

        if (!_initialized)
        {
            foreach (Slot slot in _init)
            {
                if (slot.Kind == ContainerKind.Init)
                {
                    if (slot.Machine.Phase == ContainerPhase.Done && slot.Last?.ExitCode == 0)
                        continue;
                    if (slot.Machine.Phase == ContainerPhase.Waiting)
                        Begin(slot);
                    return;
                }
                // A native sidecar lets the next init container start once it is started (startupProbe passed).
                if (slot.Machine.Phase == ContainerPhase.Running && slot.StartupPassed)
                    continue;
                if (slot.Machine.Phase == ContainerPhase.Waiting)
                    Begin(slot);
                return;
            }
            _initialized = true;
        }

        foreach (Slot slot in _apps)
        {
            if (slot.Machine.Phase == ContainerPhase.Waiting)
            {
                Begin(slot);
                return;
            }
            if (slot.Machine.Phase is ContainerPhase.Starting or ContainerPhase.PostStart)
                return; // one at a time, each after its postStart returned
        }

        // Every app container is done for good: the sidecars stop, the last one first.
        if (_apps.All(s => s.Machine.Phase == ContainerPhase.Done))
        {
            foreach (Slot sidecar in _init.Where(s => s.Kind == ContainerKind.Sidecar).Reverse())
            {
                if (sidecar.Machine.Phase == ContainerPhase.Done)
                    continue;
                sidecar.Retiring = true;
                if (sidecar.Machine.Phase is ContainerPhase.BackOff or ContainerPhase.Waiting)
                {
                    CancelTimer(sidecar);
                    sidecar.Machine.MoveTo(ContainerPhase.Done);
                    continue;
                }
                if (sidecar.Machine.Phase != ContainerPhase.Stopping && sidecar.Machine.HasProcess)
                    Stop(sidecar, PodGrace, reasonEvent: true);
                return;
            }
            IsFinished = true;
        }
    }

    /// <summary>Termination, deadline, failed init, lost sandbox: apps first (all at once), then sidecars in reverse order.</summary>
    private void StopEverything()
    {
        TimeSpan grace = _terminationGrace ?? PodGrace;
        foreach (Slot s in _init.Where(s => s.Kind == ContainerKind.Init).Concat(_apps))
            Retire(s, grace);
        if (_init.Concat(_apps).Any(s => s.Kind != ContainerKind.Sidecar && s.Machine.HasProcess))
            return;
        foreach (Slot s in _init.Where(s => s.Kind == ContainerKind.Sidecar).Reverse())
        {
            Retire(s, grace);
            if (s.Machine.HasProcess)
                return;
        }
    }

    private void Retire(Slot s, TimeSpan grace)
    {
        s.Retiring = true;
        switch (s.Machine.Phase)
        {
            case ContainerPhase.Waiting:
            case ContainerPhase.BackOff:
            case ContainerPhase.Exited:
                CancelTimer(s);
                s.Machine.MoveTo(ContainerPhase.Done);
                break;
            case ContainerPhase.Starting:
                s.StopRequested = grace; // stopped once it reports started (or failed)
                break;
            case ContainerPhase.PostStart:
            case ContainerPhase.Running:
                Stop(s, grace, reasonEvent: true);
                break;
        }
    }

    private bool AllStopped() => _init.Concat(_apps).All(s => !s.Machine.HasProcess);

    private bool EverStarted() => _init.Concat(_apps).Any(s => s.Last is not null || s.StartedAt is not null);

    private TimeSpan PodGrace => TimeSpan.FromSeconds(_pod.Spec.TerminationGracePeriodSeconds);

    private void Begin(Slot slot)
    {
        slot.Machine.MoveTo(ContainerPhase.Starting);
        Launch(slot, restart: slot.Last is not null); // after a new sandbox, a rerun is a restart
    }

    private void Launch(Slot slot, bool restart)
    {
        if (!PullImage(slot))
            return;
        if (restart)
            slot.RestartCount++;
        slot.Attempt++;
        slot.ContainerId = $"podshim://{_pod.Metadata.Uid}/{slot.Name}/{slot.Attempt}";
        _events.Record("Normal", "Pulled", $"Container image \"{slot.Spec.Image}\" already present on machine", slot.Name);
        _events.Record("Normal", "Created", $"Created container: {slot.Name}", slot.Name);
        // Written ahead: a supervisor that dies during the start finds this attempt in the checkpoint.
        Checkpoint?.Invoke();
        _runtime.StartContainer(slot.Spec, slot.Attempt);
    }

    // ---- stopping: preStop, stop signal, SIGKILL ----

    private void Stop(Slot slot, TimeSpan grace, bool reasonEvent)
    {
        if (slot.Machine.Phase is ContainerPhase.Stopping || !slot.Machine.HasProcess)
            return;
        if (slot.Machine.Phase == ContainerPhase.Starting)
        {
            slot.StopRequested = grace;
            return;
        }
        bool hadStarted = slot.Machine.Phase == ContainerPhase.Running;
        slot.Machine.MoveTo(ContainerPhase.Stopping);
        StopProbes(slot);
        CancelTimer(slot);
        if (reasonEvent)
            _events.Record("Normal", "Killing", $"Stopping container {slot.Name}", slot.Name);
        slot.StopStarted = _time.GetUtcNow();
        slot.StopGrace = grace;
        // Grace 0 skips preStop; a container whose postStart has not returned gets none either.
        if (hadStarted && grace > TimeSpan.Zero && slot.Spec.Lifecycle?.PreStop is { } preStop)
        {
            slot.PreStopRunning = true;
            _runtime.RunHook(slot.Spec, slot.Attempt, HookKind.PreStop, preStop);
            slot.Timer = After(grace, () => AfterPreStop(slot));
            return;
        }
        SendStopSignal(slot, grace);
    }

    private void AfterPreStop(Slot slot)
    {
        if (!slot.PreStopRunning || slot.Machine.Phase != ContainerPhase.Stopping)
            return;
        slot.PreStopRunning = false;
        CancelTimer(slot);
        TimeSpan left = slot.StopGrace - (_time.GetUtcNow() - slot.StopStarted);
        SendStopSignal(slot, left);
    }

    private void SendStopSignal(Slot slot, TimeSpan grace)
    {
        if (grace < MinimumGrace)
            grace = MinimumGrace;
        _runtime.Signal(slot.Spec, slot.Attempt, _runtime.StopSignal(slot.Spec));
        slot.Timer = After(grace, () =>
        {
            slot.Timer = null;
            if (slot.Machine.Phase == ContainerPhase.Stopping)
                _runtime.Signal(slot.Spec, slot.Attempt, SIGKILL);
        });
    }

    private void StopProbes(Slot slot)
    {
        if (!slot.ProbesRunning)
            return;
        slot.ProbesRunning = false;
        _runtime.StopProbes(slot.Spec, slot.Attempt);
    }

    // ---- timers ----

    private long After(TimeSpan delay, Action action)
    {
        long id = ++_nextTimer;
        if (delay < TimeSpan.Zero)
            delay = TimeSpan.Zero;
        ITimer timer = _time.CreateTimer(_ => Post(new TimerFired(id)), null, delay, Timeout.InfiniteTimeSpan);
        _timers[id] = (action, timer, _time.GetUtcNow() + delay);
        return id;
    }

    private void CancelTimer(Slot slot)
    {
        if (slot.Timer is long id && _timers.Remove(id, out var timer))
            timer.Timer.Dispose();
        slot.Timer = null;
    }

    // ---- status ----

    private void Publish()
    {
        PodStatusInfo status = BuildStatus();
        if (status == Status) // value equality, lists item by item
            return;
        Status = status;
        StatusChanged?.Invoke(status);
    }

    private PodStatusInfo BuildStatus()
    {
        DateTimeOffset now = _time.GetUtcNow();
        var init = _init.Select(s => s.ToStatus(ContainerReasons.PodInitializing)).ToList();
        // kubelet's default waiting state: PodInitializing whenever the pod has init containers.
        string appDefault = _init.Count > 0 ? ContainerReasons.PodInitializing : ContainerReasons.ContainerCreating;
        var apps = _apps.Select(s => s.ToStatus(appDefault)).ToList();
        bool terminal = IsFinished && (_terminating || _failureReason is not null);
        string phase = _failureReason is not null ? "Failed" : PodPhase.Compute(_pod, init, apps, terminal);
        if (FailPodForInit)
            phase = "Failed";
        _conditions = PodConditions.Compute(_pod, init, apps, phase, _sandboxReady, _conditions, now);
        return new PodStatusInfo
        {
            Phase = phase,
            Conditions = _conditions,
            Reason = _failureReason is "SandboxLost" ? null : _failureReason,
            Message = _failureMessage,
            StartTime = _startTime,
            InitContainerStatuses = init,
            ContainerStatuses = apps,
            Deleting = _terminating,
        };
    }

    private Slot SlotFor(string name) =>
        _init.Concat(_apps).FirstOrDefault(s => s.Name == name) ?? throw new ArgumentException($"no container \"{name}\" in pod \"{_pod.Metadata.Name}\"");

    /// <summary>One container of the pod, across its attempts.</summary>
    private sealed partial class Slot(Container spec, ContainerKind kind)
    {
        public Container Spec { get; } = spec;
        public ContainerKind Kind { get; } = kind;
        public string Name => Spec.Name;
        public ContainerMachine Machine { get; private set; } = new(spec.Name);
        public BackOffPolicy BackOff { get; private set; } = new();
        public int Attempt { get; set; } = -1;
        public int RestartCount { get; set; }
        public string? ContainerId { get; set; }
        public DateTimeOffset? StartedAt { get; set; }
        public TerminatedState? Last { get; set; }
        public TerminatedState? Previous { get; set; }
        public string? WaitingReason { get; set; }
        public string? WaitingMessage { get; set; }
        public long? Timer { get; set; }
        public TimeSpan? StopRequested { get; set; }
        public DateTimeOffset StopStarted { get; set; }
        public TimeSpan StopGrace { get; set; }
        public bool PreStopRunning { get; set; }
        public bool PostStartFailed { get; set; }
        public bool ProbeFailed { get; set; }
        public bool ProbesRunning { get; set; }
        public bool StartupPassed { get; set; }
        public bool ReadinessPassed { get; set; }
        public bool Retiring { get; set; }

        public void ResetForNewSandbox()
        {
            Machine = new ContainerMachine(Name);
            Retiring = false;
            StopRequested = null;
            PreStopRunning = false;
        }

        public ContainerStatusInfo ToStatus(string defaultReason)
        {
            ContainerState state = Machine.Phase switch
            {
                ContainerPhase.PostStart or ContainerPhase.Running or ContainerPhase.Stopping when StartedAt is { } at => new RunningState(at),
                ContainerPhase.Exited or ContainerPhase.Done when Last is not null => Last,
                ContainerPhase.BackOff or ContainerPhase.Exited when WaitingReason is not null => new WaitingState(WaitingReason, WaitingMessage),
                _ => new WaitingState(WaitingReason ?? defaultReason, WaitingMessage),
            };
            // lastState is the attempt before the one State shows.
            ContainerState? last = state is TerminatedState ? Previous : Last;
            bool running = Machine.Phase is ContainerPhase.Running or ContainerPhase.Stopping;
            bool started = running && StartupPassed;
            // A regular init container is ready once it completed (kubelet), never while it runs; others
            // once started, and when they have a readiness probe, once it passes.
            bool ready = Kind == ContainerKind.Init
                ? state is TerminatedState { ExitCode: 0 }
                : started && (Spec.ReadinessProbe is null || ReadinessPassed);
            return new ContainerStatusInfo(Name, Spec.Image, state)
            {
                LastState = last,
                Ready = ready,
                Started = Machine.Phase is ContainerPhase.Waiting ? null : started,
                RestartCount = RestartCount,
                ContainerId = Machine.Phase is ContainerPhase.Waiting ? null : ContainerId,
            };
        }
    }
}
