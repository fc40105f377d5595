using PodShim.Manifest;

namespace PodShim.Runtime.Lifecycle;

public enum HookKind { PostStart, PreStop }

/// <summary>
/// What the lifecycle asks of the world. Implementations never call back into the lifecycle
/// synchronously: results come back as events through <see cref="PodLifecycle.Post"/>.
/// </summary>
public interface IPodRuntime
{
    /// <summary>Creates and starts attempt <paramref name="attempt"/> of a container (fresh writable layer):
    /// then posts <see cref="ContainerStarted"/> or <see cref="ContainerStartFailed"/>, and later <see cref="ContainerExited"/>.</summary>
    void StartContainer(Container container, int attempt);

    /// <summary>Runs a lifecycle hook handler for the running attempt; posts <see cref="HookCompleted"/>.</summary>
    void RunHook(Container container, int attempt, HookKind kind, LifecycleHandler handler);

    /// <summary>Signals the attempt's main process (no-op when it is gone).</summary>
    void Signal(Container container, int attempt, int signal);

    /// <summary>The signal that stops this container (the image's StopSignal, else SIGTERM).</summary>
    int StopSignal(Container container);

    /// <summary>Starts the attempt's startup, liveness and readiness probes (results come as <see cref="ProbeChanged"/>).</summary>
    void StartProbes(Container container, int attempt);

    /// <summary>Stops the attempt's probes.</summary>
    void StopProbes(Container container, int attempt);

    /// <summary>kubelet's EnsureImageExists before an attempt: null when the container's image is there,
    /// else why not (ErrImagePull, ErrImageNeverPull, InvalidImageName) and the message to show.</summary>
    ImagePullFailure? EnsureImage(Container container) => null;

    /// <summary>Restarts the pod sandbox (the holder) after it was lost; posts <see cref="SandboxReady"/>.</summary>
    void RecreateSandbox();
}
