using PodShim.Manifest;
using PodShim.Runtime.Lifecycle;

namespace PodShim.Runtime.Probes;

public enum ProbeKind { Startup, Liveness, Readiness }

/// <summary>
/// All probes of one pod, as the kubelet's prober workers run them but with one timer queue instead
/// of a goroutine per probe: each probe fires at its period on the <see cref="TimeProvider"/>, runs
/// through a bounded executor (a slow probe never delays the others), counts consecutive results
/// against its thresholds, and posts <see cref="ProbeChanged"/> to the lifecycle only when its state
/// flips. Liveness and readiness wait for the startup probe to succeed.
/// </summary>
public sealed class ProbeManager : IDisposable
{
    private readonly TimeProvider _time;
    private readonly Func<Container, int, Probe, Func<TimeSpan, ProbeResult>> _proberFor;
    private readonly Action<LifecycleEvent> _post;
    private readonly IEventRecorder _events;
    private readonly Action<Action> _execute;
    private readonly Lock _lock = new();
    private readonly Dictionary<(string, int), List<Worker>> _workers = new();
    // The one timer queue: every probe of the pod waits here for its due time; one timer wakes it.
    private readonly PriorityQueue<Worker, DateTimeOffset> _due = new();
    private readonly List<(Worker, DateTimeOffset)> _firing = new();
    // Made when the first probe is queued: most pods have no probes, and the precise clock's timer is a thread.
    private ITimer? _timer;
    private bool _disposed;
    private DateTimeOffset? _armedFor;

    /// <param name="proberFor">Makes the function that runs one probe of a container attempt (HTTP, TCP, exec, gRPC).</param>
    /// <param name="execute">Runs a probe off the timer thread; <see cref="ProbeExecutor"/> in production, inline in tests.</param>
    public ProbeManager(TimeProvider time, Func<Container, int, Probe, Func<TimeSpan, ProbeResult>> proberFor,
        Action<LifecycleEvent> post, IEventRecorder events, Action<Action> execute)
    {
        _time = time;
        _proberFor = proberFor;
        _post = post;
        _events = events;
        _execute = execute;
    }

    private void Enqueue(Worker worker, DateTimeOffset due)
    {
        lock (_lock)
        {
            _due.Enqueue(worker, due);
            if (_armedFor is not { } armed || due < armed)
                Arm(due);
        }
    }

    private void Arm(DateTimeOffset due)
    {
        if (_disposed)
            return;
        _armedFor = due;
        TimeSpan delay = due - _time.GetUtcNow();
        _timer ??= _time.CreateTimer(static state => ((ProbeManager)state!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _timer.Change(delay < TimeSpan.Zero ? TimeSpan.Zero : delay, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Takes every probe that is due off the queue, then lets each run (or reschedule itself).</summary>
    private void OnTimer()
    {
        lock (_lock)
        {
            _armedFor = null;
            DateTimeOffset now = _time.GetUtcNow();
            while (_due.TryPeek(out Worker? worker, out DateTimeOffset due) && due <= now)
            {
                _due.Dequeue();
                _firing.Add((worker, due));
            }
            if (_due.TryPeek(out _, out DateTimeOffset next))
                Arm(next);
            // Ticks run under the manager's lock, in due order; they only enqueue work.
            foreach ((Worker worker, DateTimeOffset due) in _firing)
                worker.Tick(due);
            _firing.Clear();
        }
    }

    private void Remove(Worker worker)
    {
        lock (_lock)
        {
            _due.Remove(worker, out _, out _);
            if (_due.Count == 0)
            {
                _armedFor = null;
                _timer?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            }
        }
    }

    /// <summary>Starts probing a container attempt that has just started (initialDelaySeconds counts from now).</summary>
    public void Start(Container container, int attempt)
    {
        var workers = new List<Worker>();
        if (container.StartupProbe is { } startup)
            workers.Add(new Worker(this, container, attempt, ProbeKind.Startup, startup));
        if (container.LivenessProbe is { } liveness)
            workers.Add(new Worker(this, container, attempt, ProbeKind.Liveness, liveness));
        if (container.ReadinessProbe is { } readiness)
            workers.Add(new Worker(this, container, attempt, ProbeKind.Readiness, readiness));
        if (workers.Count == 0)
            return;
        lock (_lock)
            _workers[(container.Name, attempt)] = workers;
        DateTimeOffset now = _time.GetUtcNow();
        foreach (Worker w in workers)
            Enqueue(w, now + TimeSpan.FromSeconds(w.Probe.InitialDelaySeconds));
    }

    /// <summary>Stops every probe of a container attempt; results still in flight are dropped.</summary>
    public void Stop(string container, int attempt)
    {
        List<Worker>? workers;
        lock (_lock)
            _workers.Remove((container, attempt), out workers);
        foreach (Worker w in workers ?? [])
            w.Stop();
    }

    /// <summary>Whether liveness and readiness may run (called with the manager's lock held).</summary>
    private bool StartupPassedLocked(string container, int attempt)
    {
        if (!_workers.TryGetValue((container, attempt), out List<Worker>? workers))
            return false;
        foreach (Worker w in workers)
            if (w.Kind == ProbeKind.Startup)
                return w.State == true;
        return true;
    }

    public void Dispose()
    {
        ITimer? timer;
        lock (_lock)
        {
            _disposed = true;
            timer = _timer;
            _timer = null;
        }
        timer?.Dispose();
        List<Worker> all;
        lock (_lock)
        {
            all = _workers.Values.SelectMany(w => w).ToList();
            _workers.Clear();
        }
        foreach (Worker w in all)
            w.Stop();
    }

    /// <summary>Called with how late each probe run started against its schedule (for the benchmark).</summary>
    public Action<TimeSpan>? LatenessObserver { get; set; }

    /// <summary>
    /// One probe of one container attempt: fixed-rate like the kubelet's ticker (each run is due one
    /// period after the previous due time, not after the previous run ended).
    /// </summary>
    private sealed class Worker
    {
        private readonly ProbeManager _owner;
        private readonly Container _container;
        private readonly int _attempt;
        private readonly Func<TimeSpan, ProbeResult> _run;
        private readonly Action _runOnce;
        private readonly Lock _lock = new();
        private DateTimeOffset _runDue;
        private bool _stopped;
        private bool _running;
        private int _successes;
        private int _failures;

        public Worker(ProbeManager owner, Container container, int attempt, ProbeKind kind, Probe probe)
        {
            _owner = owner;
            _container = container;
            _attempt = attempt;
            Kind = kind;
            Probe = probe;
            _run = owner._proberFor(container, attempt, probe);
            _runOnce = RunOnce; // one delegate for the worker's life, not one per run
            // kubelet's initial results: readiness Failure, liveness Success, startup Unknown.
            State = kind switch { ProbeKind.Readiness => false, ProbeKind.Liveness => true, _ => null };
        }

        public ProbeKind Kind { get; }
        public Probe Probe { get; }
        public bool? State { get; private set; }

        public void Stop()
        {
            lock (_lock)
                _stopped = true;
            _owner.Remove(this);
        }

        private TimeSpan Period => TimeSpan.FromSeconds(Math.Max(1, Probe.PeriodSeconds));

        /// <summary>Due at <paramref name="due"/> (under the manager's lock): hand the run to the executor, queue the next.</summary>
        public void Tick(DateTimeOffset due)
        {
            lock (_lock)
            {
                if (_stopped)
                    return;
                DateTimeOffset next = due + Period;
                DateTimeOffset now = _owner._time.GetUtcNow();
                while (next <= now - Period)
                    next += Period; // whole periods missed are skipped, not run in a burst
                // A probe still running when its next tick comes is not run twice.
                bool gated = Kind != ProbeKind.Startup && !_owner.StartupPassedLocked(_container.Name, _attempt);
                if (!_running && !gated)
                {
                    // Startup probing ends at its first success.
                    if (Kind == ProbeKind.Startup && State == true)
                        return;
                    _running = true;
                    _runDue = due;
                    _owner._execute(_runOnce);
                }
                _owner._due.Enqueue(this, next);
                if (_owner._armedFor is not { } armed || next < armed)
                    _owner.Arm(next);
            }
        }

        private void RunOnce()
        {
            _owner.LatenessObserver?.Invoke(_owner._time.GetUtcNow() - _runDue);
            ProbeResult result;
            try
            {
                result = _run(TimeSpan.FromSeconds(Math.Max(1, Probe.TimeoutSeconds)));
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                result = new ProbeResult(ProbeOutcome.Error, e.Message);
            }
            bool? changedTo = null;
            lock (_lock)
            {
                _running = false;
                if (_stopped)
                    return;
                Count(result, out changedTo);
            }
            string kind = Kind.ToString();
            if (result.Outcome == ProbeOutcome.Failure)
                _owner._events.Record("Warning", "Unhealthy", $"{kind} probe failed: {result.Message}", _container.Name);
            else if (result.Outcome == ProbeOutcome.Success && result.Warning)
                _owner._events.Record("Warning", "ProbeWarning", $"{kind} probe warning: {result.Message}", _container.Name);
            if (changedTo is bool success)
                _owner._post(new ProbeChanged(_container.Name, _attempt, Kind, success, result.Message));
        }

        /// <summary>Consecutive results against the thresholds (an Error counts for nothing).</summary>
        private void Count(ProbeResult result, out bool? changedTo)
        {
            changedTo = null;
            if (result.Outcome == ProbeOutcome.Error)
                return;
            if (result.Outcome == ProbeOutcome.Success)
            {
                _failures = 0;
                _successes++;
                if (_successes >= Math.Max(1, Probe.SuccessThreshold) && State != true)
                    changedTo = State = true;
            }
            else
            {
                _successes = 0;
                _failures++;
                if (_failures >= Math.Max(1, Probe.FailureThreshold) && State != false)
                {
                    changedTo = State = false;
                    // kubelet resets the count after acting on a liveness/startup failure.
                    if (Kind != ProbeKind.Readiness)
                        _failures = 0;
                }
            }
        }
    }
}
