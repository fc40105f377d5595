namespace PodShim.Runtime.Lifecycle;

/// <summary>Saving and restoring the lifecycle (a supervisor replaced after a crash goes on from the checkpoint).</summary>
public sealed partial class PodLifecycle
{
    /// <summary>The state to save (call on the handling thread, e.g. from <see cref="Checkpoint"/>).</summary>
    public LifecycleSnapshot Snapshot() => new()
    {
        StartTime = _startTime,
        Initialized = _initialized,
        SandboxReady = _sandboxReady,
        Terminating = _terminating,
        TerminationGrace = _terminationGrace,
        FailureReason = _failureReason,
        FailureMessage = _failureMessage,
        FailPodForInit = FailPodForInit,
        Finished = IsFinished,
        Conditions = _conditions,
        Containers = _init.Concat(_apps).Select(s => s.Save(s.Timer is long id && _timers.TryGetValue(id, out var t) ? t.Due : null)).ToList(),
    };

    /// <summary>
    /// Instead of <see cref="Start"/>: goes on from a saved state. The runtime must already hold the attempts
    /// that still run (signals and probes go to them); what happened to the others while no supervisor watched
    /// (exits, starts) it posts as ordinary events. Pending timers are armed again for what remains of them;
    /// a postStart hook that was running is taken as done; a stop in progress is resumed with what remains of
    /// its grace (preStop is not run twice).
    /// </summary>
    public void Restore(LifecycleSnapshot saved)
    {
        if (_startTime is not null || _timers.Count > 0)
            throw new InvalidOperationException("the lifecycle has already started");
        _startTime = saved.StartTime;
        _initialized = saved.Initialized;
        _sandboxReady = saved.SandboxReady;
        _terminating = saved.Terminating;
        _terminationGrace = saved.TerminationGrace;
        _failureReason = saved.FailureReason;
        _failureMessage = saved.FailureMessage;
        FailPodForInit = saved.FailPodForInit;
        _conditions = saved.Conditions;
        _recreatingSandbox = false;
        IsFinished = saved.Finished;

        DateTimeOffset now = _time.GetUtcNow();
        foreach (Slot slot in _init.Concat(_apps))
        {
            if (saved.Container(slot.Name) is not { } c)
                continue;
            slot.RestoreFrom(c);
            switch (c.Phase)
            {
                case ContainerPhase.BackOff:
                    slot.Timer = After((c.TimerDue ?? now) - now, () => RetryAfterBackOff(slot));
                    break;
                case ContainerPhase.PostStart:
                    EnterRunning(slot);
                    break;
                case ContainerPhase.Running:
                    if (slot.Spec.StartupProbe is not null || slot.Spec.LivenessProbe is not null || slot.Spec.ReadinessProbe is not null)
                    {
                        slot.ProbesRunning = true;
                        _runtime.StartProbes(slot.Spec, slot.Attempt);
                    }
                    break;
                case ContainerPhase.Stopping:
                    slot.PreStopRunning = false;
                    SendStopSignal(slot, slot.StopGrace - (now - slot.StopStarted));
                    break;
            }
        }
        if (_pod.Spec.ActiveDeadlineSeconds is long deadline && _startTime is { } start && _failureReason is null && !IsFinished)
            After(start + TimeSpan.FromSeconds(deadline) - now, OnDeadline);
        Sync();
        Publish();
        Checkpoint?.Invoke();
    }

    private sealed partial class Slot
    {
        public ContainerSnapshot Save(DateTimeOffset? timerDue) => new()
        {
            Name = Name,
            Phase = Machine.Phase,
            Attempt = Attempt,
            RestartCount = RestartCount,
            ContainerId = ContainerId,
            StartedAt = StartedAt,
            Last = Last,
            Previous = Previous,
            WaitingReason = WaitingReason,
            WaitingMessage = WaitingMessage,
            BackOffCurrent = BackOff.Current,
            BackOffUpcoming = BackOff.Upcoming,
            TimerDue = timerDue,
            StartupPassed = StartupPassed,
            ReadinessPassed = ReadinessPassed,
            Retiring = Retiring,
            PostStartFailed = PostStartFailed,
            ProbeFailed = ProbeFailed,
            StopRequested = StopRequested,
            StopStarted = StopStarted,
            StopGrace = StopGrace,
        };

        public void RestoreFrom(ContainerSnapshot c)
        {
            // Exited only ever lasts within one event: its decision is made again as Done.
            Machine = ContainerMachine.Restored(Name, c.Phase == ContainerPhase.Exited ? ContainerPhase.Done : c.Phase);
            Attempt = c.Attempt;
            RestartCount = c.RestartCount;
            ContainerId = c.ContainerId;
            StartedAt = c.StartedAt;
            Last = c.Last;
            Previous = c.Previous;
            WaitingReason = c.WaitingReason;
            WaitingMessage = c.WaitingMessage;
            BackOff.Restore(c.BackOffCurrent, c.BackOffUpcoming);
            StartupPassed = c.StartupPassed;
            ReadinessPassed = c.ReadinessPassed;
            Retiring = c.Retiring;
            PostStartFailed = c.PostStartFailed;
            ProbeFailed = c.ProbeFailed;
            StopRequested = c.StopRequested;
            StopStarted = c.StopStarted;
            StopGrace = c.StopGrace;
        }
    }
}
