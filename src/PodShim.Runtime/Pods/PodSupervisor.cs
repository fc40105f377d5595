using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using PodShim.Interop;
using PodShim.Interop.Syscalls;
using PodShim.Manifest;
using PodShim.Runtime.Cgroups;
using PodShim.Runtime.Containers;
using PodShim.Runtime.Images;
using PodShim.Runtime.Lifecycle;
using PodShim.Runtime.Probes;
using PodShim.Runtime.Services;
using PodShim.Runtime.State;
using PodShim.Runtime.Status;
using PodShim.Runtime.Volumes;

namespace PodShim.Runtime.Pods;

/// <summary>
/// One pod's supervisor: the real <see cref="IPodRuntime"/> under <see cref="PodLifecycle"/>. It makes
/// the sandbox, starts container attempts, turns keeper exits and hook results into lifecycle events,
/// and writes status.json and events.jsonl on every change. Blocking work (waiting for exits, hooks)
/// runs on its own threads and only ever posts events; the lifecycle runs on the caller's thread.
/// </summary>
public sealed partial class PodSupervisor : IPodRuntime, IEventRecorder, IDisposable
{
    private readonly Pod _pod;
    private readonly PodPaths _paths;
    private readonly string _binDirectory;
    private readonly ISyscalls _sys;
    private readonly ImageStore _images;
    private readonly ConcurrentDictionary<(string, int), ContainerInstance> _instances = new();
    // Resolved once per image for the pod's life (index, manifest and digests are not re-read per attempt);
    // a missing image is not cached, so an import lets the next retry find it.
    private readonly ConcurrentDictionary<string, ResolvedImage> _resolved = new();
    private readonly AutoResetEvent _wake = new(false);
    private readonly Lock _eventsLock = new();
    private readonly ProbeManager _probes;
    private readonly ProbeExecutor _probeExecutor;
    private PodSandbox? _sandbox;
    private PodCgroup? _podCgroup;
    private volatile bool _disposed;

    public PodSupervisor(Pod pod, StateLayout layout, string binDirectory, ISyscalls sys, TimeProvider time)
    {
        _pod = pod;
        _paths = layout.Pod(pod.Metadata.Namespace, pod.Metadata.Name);
        _binDirectory = binDirectory;
        _sys = sys;
        _images = ImageStore.ForRoot(layout.Root);
        _services = new ServiceStore(layout);
        Lifecycle = new PodLifecycle(pod, this, time, this);
        // One probe manager for the pod; at most four probes run at once.
        _probeExecutor = new ProbeExecutor(4);
        // Probes run on the real clock through timerfd timers (microsecond wake-ups); tests pass a fake clock.
        TimeProvider probeClock = time == TimeProvider.System ? PreciseTimeProvider.Instance : time;
        _probes = new ProbeManager(probeClock, ProberFor, Lifecycle.Post, this, _probeExecutor.Execute);
        Lifecycle.EventPosted += () => _wake.Set();
        Lifecycle.StatusChanged += status => AtomicFile.WriteAllText(_paths.Status, PodStatusJson.Serialize(status));
    }

    public PodLifecycle Lifecycle { get; }

    /// <summary>How the pod's resources are enforced with cgroup v2 (set before <see cref="Run"/>).</summary>
    public CgroupOptions Cgroups { get; init; } = CgroupOptions.Default;

    /// <summary>Raised for every Warning event (reason, message): `run` shows them on stderr.</summary>
    public event Action<string, string>? Warning;

    /// <summary>Raised (from a supervisor thread) when an attempt's log file exists: for `run` to follow it.</summary>
    public event Action<string, string>? AttemptStarted;

    /// <summary>
    /// Runs the pod until it is finished. <paramref name="terminate"/> asks for a graceful termination
    /// (its grace from <paramref name="grace"/> at that moment, null: the pod's).
    /// </summary>
    public PodStatusInfo Run(CancellationToken terminate, Func<TimeSpan?> grace)
    {
        _podCgroup = CgroupSetup.CreatePodCgroup(_pod, Cgroups, _sys, this);
        StartupTrace.Mark("creating sandbox");
        if (!WaitForVolumes(terminate))
            return Lifecycle.Status;
        _sandbox = PodSandbox.Create(_pod, _paths, _binDirectory, _sys, _podCgroup?.CreateHolder(), Dns);
        StartupTrace.Mark("sandbox ready");
        StartClusterDns(_sandbox);
        using var storage = new EmptyDirMonitor(_pod, _paths, TimeProvider.System, message => Lifecycle.Post(new PodEvicted(message)));
        WatchHolder(_sandbox);
        using CancellationTokenRegistration registration = terminate.Register(() => Lifecycle.Post(new TerminateRequested(grace())));
        Lifecycle.Start();
        while (!Lifecycle.IsFinished)
        {
            _wake.WaitOne(1000);
            Lifecycle.HandlePending();
        }
        return Lifecycle.Status;
    }

    /// <summary>
    /// A volume that cannot be set up (a hostPath type check failed) keeps the pod waiting, as on a
    /// node: a FailedMount warning, then further checks with the kubelet's volume back-off (0.5 s,
    /// doubling to 2 min 2 s) until they pass (true) or the pod is terminated (false). Nothing of the
    /// sandbox exists meanwhile.
    /// </summary>
    private bool WaitForVolumes(CancellationToken terminate)
    {
        TimeSpan delay = TimeSpan.FromMilliseconds(500);
        TimeSpan max = TimeSpan.FromSeconds(122);
        string? last = null;
        while (true)
        {
            try
            {
                PodVolumes.CheckHostPaths(_pod);
                return true;
            }
            catch (VolumeSetupException e)
            {
                if (e.Message != last)
                    Record("Warning", "FailedMount", e.Message);
                last = e.Message;
                AtomicFile.WriteAllText(_paths.Status, PodStatusJson.Serialize(Lifecycle.Status));
            }
            if (terminate.WaitHandle.WaitOne(delay))
                return false;
            delay = delay * 2 > max ? max : delay * 2;
        }
    }

    // ---- IPodRuntime ----

    public void StartContainer(Container container, int attempt)
    {
        // Starting takes a few milliseconds and keeps ordering simple: done inline, results posted.
        PodSandbox sandbox = _sandbox ?? throw new InvalidOperationException("no sandbox");
        ResolvedImage image;
        try
        {
            image = _resolved.TryGetValue(container.Image, out ResolvedImage? known) ? known
                : _resolved[container.Image] = _images.Resolve(container.Image);
        }
        catch (Exception e) when (e is ImageNotFoundException or FormatException or InvalidDataException)
        {
            Lifecycle.Post(new ContainerStartFailed(container.Name, attempt, ContainerReasons.ErrImagePull, e.Message, null));
            return;
        }
        AttemptPaths paths = _paths.Attempt(container.Name, attempt);
        AttemptStarted?.Invoke(container.Name, paths.Log);
        ContainerInstance instance;
        ContainerCgroup? cgroup = null;
        try
        {
            instance = StartInCgroup(sandbox, container, image, attempt, out cgroup);
        }
        catch (ContainerConfigException e)
        {
            Lifecycle.Post(new ContainerStartFailed(container.Name, attempt, ContainerReasons.CreateContainerConfigError, e.Message, null));
            return;
        }
        catch (SpawnException e)
        {
            Lifecycle.Post(new ContainerStartFailed(container.Name, attempt, ContainerReasons.StartError, e.Message, ExitRecord.TryRead(paths.Exit)));
            return;
        }
        catch (NativeException e)
        {
            Lifecycle.Post(new ContainerStartFailed(container.Name, attempt, ContainerReasons.RunContainerError, e.Message, null));
            return;
        }
        _instances[(container.Name, attempt)] = instance;
        StartupTrace.Mark($"started {container.Name}#{attempt}");
        Lifecycle.Post(new ContainerStarted(container.Name, attempt, DateTimeOffset.UtcNow));
        var waiter = new Thread(() =>
        {
            ExitRecord exit;
            try
            {
                exit = instance.WaitExit(-1) ?? throw new InvalidOperationException("keeper gone without a record");
            }
            catch (Exception e) when (e is InvalidOperationException or NativeException or IOException or JsonException)
            {
                // The keeper died without a record: report what a SIGKILL would have given.
                exit = new ExitRecord(instance.ContainerPid, true, 137, 9, null, DateTimeOffset.UtcNow, false);
            }
            if (cgroup is not null)
                exit = CgroupSetup.AfterExit(cgroup, exit, this);
            if (!_disposed)
                Lifecycle.Post(new ContainerExited(container.Name, attempt, exit));
        })
        { IsBackground = true, Name = $"exit {container.Name}#{attempt}" };
        waiter.Start();
    }

    public ImagePullFailure? EnsureImage(Container container)
    {
        if (_resolved.ContainsKey(container.Image))
            return null;
        try
        {
            _resolved[container.Image] = _images.Resolve(container.Image);
            return null;
        }
        catch (FormatException e)
        {
            return new ImagePullFailure(PodLifecycle.InvalidImageName, $"Failed to apply default image tag \"{container.Image}\": {e.Message}");
        }
        catch (ImageNotFoundException e)
        {
            return container.ImagePullPolicy == "Never"
                ? new ImagePullFailure(PodLifecycle.ErrImageNeverPull, $"Container image \"{container.Image}\" is not present with pull policy of Never")
                : new ImagePullFailure(ContainerReasons.ErrImagePull, e.Message);
        }
        catch (InvalidDataException e)
        {
            return new ImagePullFailure(ContainerReasons.ErrImagePull, e.Message);
        }
    }

    /// <summary>Starts an attempt in a cgroup of its own (when limits are enforced); the cgroup goes when the start fails.</summary>
    private ContainerInstance StartInCgroup(PodSandbox sandbox, Container container, ResolvedImage image, int attempt, out ContainerCgroup? cgroup)
    {
        cgroup = _podCgroup?.CreateAttempt(container.Name, attempt);
        try
        {
            return ContainerInstance.Start(sandbox, container, image, attempt, _binDirectory, cgroup);
        }
        catch
        {
            CgroupSetup.Discard(cgroup, this);
            throw;
        }
    }

    public void RunHook(Container container, int attempt, HookKind kind, LifecycleHandler handler)
    {
        var thread = new Thread(() =>
        {
            (bool ok, string message) = RunHandler(container, attempt, kind, handler);
            if (!_disposed)
                Lifecycle.Post(new HookCompleted(container.Name, attempt, kind, ok, message));
        })
        { IsBackground = true, Name = $"{kind} {container.Name}#{attempt}" };
        thread.Start();
    }

    public void Signal(Container container, int attempt, int signal)
    {
        if (_instances.TryGetValue((container.Name, attempt), out ContainerInstance? instance))
            instance.Signal(signal);
    }

    public int StopSignal(Container container)
    {
        string? name = container.Lifecycle?.StopSignal;
        if (name is null && _instances.Values.FirstOrDefault(i => i.Name == container.Name) is { } instance)
            name = instance.Image.StopSignal;
        return SignalNumber(name) ?? Posix.SIGTERM;
    }

    public void StartProbes(Container container, int attempt) => _probes.Start(container, attempt);

    public void StopProbes(Container container, int attempt) => _probes.Stop(container.Name, attempt);

    private Func<TimeSpan, ProbeResult> ProberFor(Container container, int attempt, Probe probe) =>
        ProbeFactory.Create(container, probe,
            family => NetnsSocket.Create((_sandbox ?? throw new InvalidOperationException("no sandbox")).Holder!.Pidfd,
                family, SocketType.Stream, ProtocolType.Tcp),
            () => _instances.TryGetValue((container.Name, attempt), out ContainerInstance? instance) && instance.ContainerPidfd is not null
                ? instance.ExecRequest(probe.Exec!.Command, Path.Combine(_binDirectory, "podshim-keeper"))
                : null);

    public void RecreateSandbox()
    {
        var thread = new Thread(() =>
        {
            StopClusterDns();
            _sandbox?.Dispose();
            // Without a token the wait for volumes only ends when they can be set up.
            WaitForVolumes(CancellationToken.None);
            _sandbox = PodSandbox.Create(_pod, _paths, _binDirectory, _sys, CgroupSetup.TryCreateHolder(_podCgroup, this), Dns);
            StartClusterDns(_sandbox);
            WatchHolder(_sandbox);
            Lifecycle.Post(new SandboxReady());
        })
        { IsBackground = true, Name = "sandbox" };
        thread.Start();
    }

    // ---- IEventRecorder: events.jsonl ----

    public void Record(string type, string reason, string message, string? container = null)
    {
        if (type == "Warning")
            Warning?.Invoke(reason, container is null ? message : $"container \"{container}\": {message}");
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("time", DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
            w.WriteString("type", type);
            w.WriteString("reason", reason);
            w.WriteString("message", message);
            w.WriteString("object", container is null ? $"pod/{_pod.Metadata.Name}" : FieldPath(container));
            w.WriteString("source", "kubelet");
            w.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        lock (_eventsLock)
        {
            // One write per line, appended: readers see whole lines.
            using var stream = new FileStream(_paths.Events, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
            stream.Write(buffer.GetBuffer(), 0, (int)buffer.Length);
        }
    }

    private string FieldPath(string container)
    {
        int i = _pod.Spec.InitContainers.ToList().FindIndex(c => c.Name == container);
        return i >= 0 ? $"spec.initContainers{{{container}}}" : $"spec.containers{{{container}}}";
    }

    // ---- helpers ----

    private void WatchHolder(PodSandbox sandbox)
    {
        SpawnedHolder holder = sandbox.Holder!;
        var thread = new Thread(() =>
        {
            try
            {
                Posix.PollReadable(holder.Pidfd, -1);
            }
            catch (Exception e) when (e is NativeException or ObjectDisposedException)
            {
                return;
            }
            if (!_disposed && ReferenceEquals(_sandbox, sandbox) && sandbox.Holder is not null)
                Lifecycle.Post(new SandboxLost());
        })
        { IsBackground = true, Name = "holder" };
        thread.Start();
    }

    private (bool Ok, string Message) RunHandler(Container container, int attempt, HookKind kind, LifecycleHandler handler)
    {
        string what = kind == HookKind.PostStart ? "PostStartHook" : "PreStopHook";
        try
        {
            if (handler.Sleep is { } sleep)
            {
                Thread.Sleep(TimeSpan.FromSeconds(sleep.Seconds));
                return (true, "");
            }
            if (!_instances.TryGetValue((container.Name, attempt), out ContainerInstance? instance) || instance.ContainerPidfd is null)
                return (false, $"{what} failed: container {container.Name} is not running");
            if (handler.Exec is { } exec)
            {
                ExecRequest request = instance.ExecRequest(exec.Command, Path.Combine(_binDirectory, "podshim-keeper"));
                // An exec hook has no timeout of its own (kubelet); preStop is bounded by the grace timer.
                ExecOutcome outcome = ExecRunner.Run(request, TimeSpan.FromDays(1));
                if (outcome.ExitCode == 0)
                    return (true, "");
                string output = Encoding.UTF8.GetString(outcome.Output).TrimEnd();
                return (false, $"Exec lifecycle hook ({string.Join(" ", exec.Command)}) for Container \"{container.Name}\" in Pod \"{_pod.Metadata.Name}_{_pod.Metadata.Namespace}({_pod.Metadata.Uid})\" failed - error: command '{string.Join(" ", exec.Command)}' exited with {outcome.ExitCode}: {output}, message: \"{output}\"");
            }
            if (handler.HttpGet is { } http)
                return HttpHook(container, http, what);
            return (false, $"{what} failed: no handler");
        }
        catch (Exception e) when (e is SpawnException or NativeException or SocketException or IOException or TimeoutException)
        {
            return (false, $"{what} failed: {e.Message}");
        }
    }

    /// <summary>An HTTP hook fails only on a transport error (kubelet): any response is success.</summary>
    private (bool, string) HttpHook(Container container, HttpGetAction http, string what)
    {
        int port = http.Port.IntValue is int number ? number
            : container.Ports.FirstOrDefault(p => p.Name == http.Port.StringValue)?.Port
              ?? throw new IOException($"port \"{http.Port.StringValue}\" not found in container {container.Name}");
        string host = string.IsNullOrEmpty(http.Host) ? "127.0.0.1" : http.Host;
        using Socket socket = NetnsSocket.Create(_sandbox!.Holder!.Pidfd, AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.ReceiveTimeout = socket.SendTimeout = 10_000;
        socket.Connect(System.Net.IPAddress.Parse(host), port);
        var request = new StringBuilder($"GET {(string.IsNullOrEmpty(http.Path) ? "/" : http.Path)} HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: kube-lifecycle/1.33\r\n");
        foreach (HttpHeader header in http.HttpHeaders)
            request.Append(header.Name).Append(": ").Append(header.Value).Append("\r\n");
        request.Append("Connection: close\r\n\r\n");
        socket.Send(Encoding.ASCII.GetBytes(request.ToString()));
        var buffer = new byte[64];
        int n = socket.Receive(buffer);
        return n > 0 ? (true, "") : (false, $"{what} failed: connection closed without a response");
    }

    private static int? SignalNumber(string? name) => name?.ToUpperInvariant().Replace("SIG", "") switch
    {
        null or "" => null,
        "TERM" => 15, "INT" => 2, "QUIT" => 3, "KILL" => 9, "HUP" => 1, "USR1" => 10, "USR2" => 12, "WINCH" => 28, "STOP" => 19,
        string s when int.TryParse(s, CultureInfo.InvariantCulture, out int n) => n,
        _ => null,
    };

    public void Dispose()
    {
        _disposed = true;
        _probes.Dispose();
        _probeExecutor.Dispose();
        // Cleanup only: kill what still runs and wait for its keeper; the records are not needed here.
        foreach (ContainerInstance instance in _instances.Values)
        {
            instance.Signal(Posix.SIGKILL);
            Posix.WaitExit(instance.KeeperPidfd, 5_000);
            instance.Dispose();
        }
        _instances.Clear();
        StopClusterDns();
        _sandbox?.Dispose();
        _sandbox = null;
        CgroupSetup.RemovePodCgroup(_podCgroup, this);
        _podCgroup = null;
    }
}
