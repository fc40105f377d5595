using PodShim.Manifest;
using PodShim.Runtime.Lifecycle;
using PodShim.Runtime.Probes;
using PodShim.UnitTests.Fakes;

namespace PodShim.UnitTests.Lifecycle;

/// <summary>The probe timer queue: periods, initial delay, thresholds, gating, events; fake clock, inline runs.</summary>
public sealed class ProbeManagerTests
{
    private readonly FakeTimeProvider _clock = new();
    private readonly RecordingEvents _events = new();
    private readonly List<LifecycleEvent> _posted = new();
    private readonly Dictionary<string, Queue<ProbeOutcome>> _script = new();
    private readonly List<(string Probe, DateTimeOffset At)> _runs = new();

    private ProbeManager Manager() => new(_clock, (c, attempt, probe) =>
    {
        string name = probe == c.StartupProbe ? "startup" : probe == c.LivenessProbe ? "liveness" : "readiness";
        return _ =>
        {
            _runs.Add((name, _clock.GetUtcNow()));
            ProbeOutcome outcome = _script.TryGetValue(name, out var q) && q.Count > 0 ? q.Dequeue() : ProbeOutcome.Success;
            return new ProbeResult(outcome, outcome == ProbeOutcome.Failure ? $"{name} says no" : "");
        };
    }, _posted.Add, _events, work => work());

    private static Container Container(string probes) =>
        ManifestLoader.LoadText("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: app\n    image: busybox\n" + probes, "t.yaml")
            .OfType<Pod>().Single().Spec.Containers[0];

    private void Script(string probe, params ProbeOutcome[] outcomes) => _script[probe] = new Queue<ProbeOutcome>(outcomes);

    private static readonly ProbeOutcome S = ProbeOutcome.Success, F = ProbeOutcome.Failure, E = ProbeOutcome.Error;

    [Fact]
    public void The_timer_is_made_with_the_first_probe_and_never_after_dispose()
    {
        var m = Manager();
        m.Start(Container(""), 0);
        Assert.Equal(0, _clock.TimersCreated); // a pod without probes pays for no timer (a thread on the real clock)
        m.Start(Container("    livenessProbe:\n      periodSeconds: 3\n      tcpSocket:\n        port: 80\n"), 1);
        m.Start(Container("    readinessProbe:\n      periodSeconds: 2\n      tcpSocket:\n        port: 80\n"), 2);
        Assert.Equal(1, _clock.TimersCreated);
        _clock.Advance(TimeSpan.FromSeconds(6));
        Assert.Equal(1, _clock.TimersCreated);
        m.Dispose();
        m.Start(Container("    livenessProbe:\n      periodSeconds: 3\n      tcpSocket:\n        port: 80\n"), 3);
        _clock.Advance(TimeSpan.FromSeconds(6));
        Assert.Equal(1, _clock.TimersCreated);
    }

    [Fact]
    public void Probes_start_after_the_initial_delay_and_run_every_period()
    {
        using var m = Manager();
        m.Start(Container("    livenessProbe:\n      initialDelaySeconds: 5\n      periodSeconds: 3\n      tcpSocket:\n        port: 80\n"), 0);
        _clock.Advance(TimeSpan.FromSeconds(4.9));
        Assert.Empty(_runs);
        _clock.Advance(TimeSpan.FromSeconds(0.1));
        Assert.Single(_runs);
        _clock.Advance(TimeSpan.FromSeconds(9));
        Assert.Equal([5.0, 8.0, 11.0, 14.0], _runs.Select(r => (r.At - _runs[0].At).TotalSeconds + 5).ToArray());
    }

    [Fact]
    public void Liveness_fails_after_failureThreshold_consecutive_failures_and_errors_do_not_count()
    {
        using var m = Manager();
        Script("liveness", F, F, S, F, E, F, F);
        m.Start(Container("    livenessProbe:\n      periodSeconds: 1\n      tcpSocket:\n        port: 80\n"), 0);
        _clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Empty(_posted); // F F S F E F: never three failures in a row
        _clock.Advance(TimeSpan.FromSeconds(1));
        var changed = Assert.IsType<ProbeChanged>(Assert.Single(_posted));
        Assert.Equal((ProbeKind.Liveness, false, 0), (changed.Kind, changed.Success, changed.Attempt));
        Assert.Equal(5, _events.Events.Count(e => e.Reason == "Unhealthy" && e.Message == "Liveness probe failed: liveness says no"));
    }

    [Fact]
    public void Readiness_starts_as_failure_so_its_first_success_is_a_change()
    {
        using var m = Manager();
        Script("readiness", S, S, F);
        m.Start(Container("    readinessProbe:\n      periodSeconds: 1\n      failureThreshold: 1\n      tcpSocket:\n        port: 80\n"), 0);
        _clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal([true, false], _posted.Cast<ProbeChanged>().Select(p => p.Success).ToArray());
    }

    [Fact]
    public void Liveness_and_readiness_wait_for_the_startup_probe()
    {
        using var m = Manager();
        Script("startup", F, F, S);
        m.Start(Container("    startupProbe:\n      periodSeconds: 1\n      failureThreshold: 10\n      tcpSocket:\n        port: 80\n" +
                          "    livenessProbe:\n      periodSeconds: 1\n      tcpSocket:\n        port: 80\n"), 0);
        _clock.Advance(TimeSpan.FromSeconds(1.5)); // startup failed at 0 s and 1 s
        Assert.All(_runs, r => Assert.Equal("startup", r.Probe));
        _clock.Advance(TimeSpan.FromSeconds(3.5));
        Assert.Equal(3, _runs.Count(r => r.Probe == "startup")); // startup probing ends at its first success
        Assert.Contains(_runs, r => r.Probe == "liveness");
        Assert.Equal(ProbeKind.Startup, Assert.IsType<ProbeChanged>(Assert.Single(_posted)).Kind);
    }

    [Fact]
    public void Stopped_probes_do_not_run_again()
    {
        using var m = Manager();
        m.Start(Container("    livenessProbe:\n      periodSeconds: 1\n      tcpSocket:\n        port: 80\n"), 0);
        _clock.Advance(TimeSpan.FromSeconds(2));
        int runs = _runs.Count;
        m.Stop("app", 0);
        _clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(runs, _runs.Count);
        Assert.Equal(0, _clock.PendingTimers);
    }
}
