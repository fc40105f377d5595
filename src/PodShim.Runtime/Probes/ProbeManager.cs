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

    /// <param name="proberFor">Makes the function that runs one probe of a container attempt (HTTP, TCP, exec, gRPC).</param>
    /// <param name="execute">Runs a probe off the timer thread; <see cref="BoundedExecutor"/> in production, inline in tests.</param>
    public ProbeManager(TimeProvider time, Func<Container, int, Probe, Func<TimeSpan, ProbeResult>> proberFor,
        Action<LifecycleEvent> post, IEventRecorder events, Action<Action> execute)
    {
        _time = time;
        _proberFor = proberFor;
        _post = post;
        _events = events;
        _execute = execute;
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
        foreach (Worker w in workers)
            w.Schedule(TimeSpan.FromSeconds(w.Probe.InitialDelaySeconds));
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

    private bool StartupPassed(string container, int attempt)
    {
        lock (_lock)
        {
            if (!_workers.TryGetValue((container, attempt), out List<Worker>? workers))
                return false;
            Worker? startup = workers.FirstOrDefault(w => w.Kind == ProbeKind.Startup);
            return startup is null || startup.State == true;
        }
    }

    public void Dispose()
    {
        List<Worker> all;
        lock (_lock)
        {
            all = _workers.Values.SelectMany(w => w).ToList();
            _workers.Clear();
        }
        foreach (Worker w in all)
            w.Stop();
    }

    /// <summary>One probe of one container attempt.</summary>
    private sealed class Worker
    {
        private readonly ProbeManager _owner;
        private readonly Container _container;
        private readonly int _attempt;
        private readonly Func<TimeSpan, ProbeResult> _run;
        private readonly Lock _lock = new();
        private ITimer? _timer;
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
            // kubelet's initial results: readiness Failure, liveness Success, startup Unknown.
            State = kind switch { ProbeKind.Readiness => false, ProbeKind.Liveness => true, _ => null };
        }

        public ProbeKind Kind { get; }
        public Probe Probe { get; }
        public bool? State { get; private set; }

        public void Schedule(TimeSpan delay)
        {
            lock (_lock)
            {
                if (_stopped)
                    return;
                _timer?.Dispose();
                _timer = _owner._time.CreateTimer(_ => Tick(), null, delay, Timeout.InfiniteTimeSpan);
            }
        }

        public void Stop()
        {
            lock (_lock)
            {
                _stopped = true;
                _timer?.Dispose();
                _timer = null;
            }
        }

        private TimeSpan Period => TimeSpan.FromSeconds(Math.Max(1, Probe.PeriodSeconds));

        private void Tick()
        {
            lock (_lock)
            {
                if (_stopped)
                    return;
                // A probe still running when its next tick comes is not run twice.
                if (_running || (Kind != ProbeKind.Startup && !_owner.StartupPassed(_container.Name, _attempt)))
                {
                    Schedule(Period);
                    return;
                }
                // Startup probing ends at its first success.
                if (Kind == ProbeKind.Startup && State == true)
                    return;
                _running = true;
            }
            _owner._execute(RunOnce);
        }

        private void RunOnce()
        {
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
                Schedule(Period);
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

/// <summary>Runs at most N probes at once on the thread pool; the rest wait their turn.</summary>
public sealed class BoundedExecutor(int concurrency)
{
    private readonly SemaphoreSlim _slots = new(concurrency, concurrency);

    public void Execute(Action work) => _ = Task.Run(async () =>
    {
        await _slots.WaitAsync().ConfigureAwait(false);
        try
        {
            work();
        }
        finally
        {
            _slots.Release();
        }
    });
}
