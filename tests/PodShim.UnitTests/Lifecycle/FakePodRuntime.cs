using PodShim.Manifest;
using PodShim.Runtime.Containers;
using PodShim.Runtime.Lifecycle;
using PodShim.UnitTests.Fakes;

namespace PodShim.UnitTests.Lifecycle;

/// <summary>Records what the lifecycle asks for; the test answers by posting events back.</summary>
public sealed class FakePodRuntime : IPodRuntime
{
    public List<string> Calls { get; } = new();
    public Dictionary<string, int> Attempts { get; } = new();
    public int SandboxRecreations { get; private set; }

    public void StartContainer(Container container, int attempt)
    {
        Attempts[container.Name] = attempt;
        Calls.Add($"start {container.Name}#{attempt}");
    }

    public void RunHook(Container container, int attempt, HookKind kind, LifecycleHandler handler) =>
        Calls.Add($"hook {kind} {container.Name}#{attempt}");

    public void Signal(Container container, int attempt, int signal) =>
        Calls.Add($"signal {signal} {container.Name}#{attempt}");

    public int StopSignal(Container container) => 15;

    public void StartProbes(Container container, int attempt) => Calls.Add($"probes start {container.Name}#{attempt}");

    public void StopProbes(Container container, int attempt) => Calls.Add($"probes stop {container.Name}#{attempt}");

    /// <summary>What EnsureImage answers (null: every image is present).</summary>
    public Func<Container, ImagePullFailure?>? Images { get; set; }

    public ImagePullFailure? EnsureImage(Container container) => Images?.Invoke(container);

    public void RecreateSandbox()
    {
        SandboxRecreations++;
        Calls.Add("recreate sandbox");
    }
}

public sealed class RecordingEvents : IEventRecorder
{
    public List<(string Type, string Reason, string Message, string? Container)> Events { get; } = new();

    public void Record(string type, string reason, string message, string? container = null) =>
        Events.Add((type, reason, message, container));
}

/// <summary>A lifecycle with a fake clock and runtime, and helpers that play the container's part.</summary>
public sealed class LifecycleHarness
{
    public LifecycleHarness(string yaml)
    {
        Pod = ManifestLoader.LoadText(yaml, "test.yaml").OfType<Pod>().Single();
        Lifecycle = new PodLifecycle(Pod, Runtime, Clock, Events);
    }

    public Pod Pod { get; }
    public FakeTimeProvider Clock { get; } = new();
    public FakePodRuntime Runtime { get; } = new();
    public RecordingEvents Events { get; } = new();
    public PodLifecycle Lifecycle { get; }

    public void Start() => Lifecycle.Start();

    public void Post(LifecycleEvent e)
    {
        Lifecycle.Post(e);
        Lifecycle.HandlePending();
    }

    public int Attempt(string container) => Runtime.Attempts[container];

    public void Started(string container) => Post(new ContainerStarted(container, Attempt(container), Clock.GetUtcNow()));

    public void Exited(string container, int exitCode, int signal = 0) =>
        Post(new ContainerExited(container, Attempt(container),
            new ExitRecord(100, true, exitCode, signal, Clock.GetUtcNow(), Clock.GetUtcNow(), false)));

    public void Probe(string container, PodShim.Runtime.Probes.ProbeKind kind, bool success, string message = "") =>
        Post(new ProbeChanged(container, Attempt(container), kind, success, message));

    public void Hook(string container, HookKind kind, bool success = true, string message = "") =>
        Post(new HookCompleted(container, Attempt(container), kind, success, message));

    /// <summary>Advances the fake clock and handles the timer events it produced.</summary>
    public void Advance(TimeSpan by)
    {
        // Step from timer to timer, so each timer's event is handled at its own time.
        DateTimeOffset target = Clock.GetUtcNow() + by;
        while (Clock.NextDue is { } due && due <= target)
        {
            Clock.Advance(due - Clock.GetUtcNow());
            Lifecycle.HandlePending();
        }
        Clock.Advance(target - Clock.GetUtcNow());
        Lifecycle.HandlePending();
    }

    /// <summary>The calls made since the last time this was asked.</summary>
    public List<string> TakeCalls()
    {
        var calls = Runtime.Calls.ToList();
        Runtime.Calls.Clear();
        return calls;
    }
}
