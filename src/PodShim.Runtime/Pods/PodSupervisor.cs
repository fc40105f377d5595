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
using PodShim.Runtime.Recovery;
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
        _probes = new ProbeManager(probeClock, ProberFor, PostProbeResult, this, _probeExecutor.Execute);
        Lifecycle.EventPosted += () => _wake.Set();
        Lifecycle.StatusChanged += status => AtomicFile.WriteAllText(_paths.Status, PodStatusJson.Serialize(status));
        // What a replacement supervisor needs (see Recover): temp file + rename, like every state file.
        Lifecycle.Checkpoint += () => AtomicFile.WriteAllText(_paths.Checkpoint, LifecycleCheckpoint.Serialize(Lifecycle.Snapshot()));
    }

    /// <summary>Diagnostics for the pod's supervisor.log (recovery: what was found and taken over).</summary>
    public event Action<string>? Diagnostic;

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
        StartupTrace.Mark("supervisor running");
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
        StartupTrace.Mark("lifecycle starting");
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

    /// <summary>
    /// Takes over a pod whose supervisor was killed, from its checkpoint and state directory: the holder and every
    /// attempt whose keeper still runs are adopted (their logs and exit records never depended on a supervisor), what
    /// ended meanwhile is posted as the exits it was, an attempt whose start was cut short is started again, and the
    /// lifecycle goes on (probes, restarts, back-off, termination) until the pod is finished.
    /// </summary>
    public PodStatusInfo Recover(LifecycleSnapshot saved, CancellationToken terminate, Func<TimeSpan?> grace)
    {
        long boot = ProcessInfo.BootTime();
        _podCgroup = CgroupSetup.AttachPodCgroup(_pod, Cgroups, _sys);
        SpawnedHolder? holder = AdoptHolder(boot);
        var mounted = new HashSet<string>(PodStore.MountsUnder(_paths.Directory), StringComparer.Ordinal);
        _sandbox = PodSandbox.Adopt(_pod, _paths, _sys, holder, mounted);
        Diagnostic?.Invoke(holder is null ? "holder: gone" : $"holder: pid {holder.Pid} adopted");
        if (holder is null && saved.SandboxReady && !saved.Finished)
        {
            // The holder died with (or after) the supervisor: as when it is lost under a live one.
            saved = saved with { SandboxReady = false };
            Record("Normal", "SandboxChanged", "Pod sandbox changed, it will be killed and re-created.");
        }

        var observed = new List<LifecycleEvent>();
        var restart = new List<(Container Spec, int Attempt)>();
        foreach (ContainerSnapshot c in saved.Containers.Where(c => c.HasProcess && c.Attempt >= 0))
        {
            Container spec = _pod.Spec.AllContainers.First(x => x.Name == c.Name);
            LifecycleEvent? e = AdoptAttempt(spec, c, out bool startAgain);
            if (startAgain)
                restart.Add((spec, c.Attempt));
            else if (e is not null)
                observed.Add(e);
        }
        if (_sandbox.Holder is not null)
        {
            // The pod's cluster DNS died with the old supervisor; its address is still on the pod's lo.
            StartClusterDns(_sandbox);
            WatchHolder(_sandbox);
        }
        using CancellationTokenRegistration registration = terminate.Register(() => Lifecycle.Post(new TerminateRequested(grace())));
        Lifecycle.Restore(saved);
        foreach (LifecycleEvent e in observed)
            Lifecycle.Post(e);
        foreach ((Container spec, int attempt) in restart)
            StartContainer(spec, attempt);
        while (!Lifecycle.IsFinished)
        {
            _wake.WaitOne(1000);
            Lifecycle.HandlePending();
        }
        return Lifecycle.Status;
    }

    /// <summary>
    /// Before a fresh <see cref="Run"/> by a replacement supervisor: what one killed before its first checkpoint
    /// left behind (a holder, the pod's /dev/shm and memory volumes) is torn down, so the pod starts clean.
    /// </summary>
    public void DiscardLeftovers()
    {
        SpawnedHolder? holder = AdoptHolder(ProcessInfo.BootTime());
        var mounted = new HashSet<string>(PodStore.MountsUnder(_paths.Directory), StringComparer.Ordinal);
        if (holder is null && mounted.Count == 0)
            return;
        Diagnostic?.Invoke($"discarding a sandbox left before the first checkpoint (holder {(holder is null ? "gone" : holder.Pid)}, {mounted.Count} mounts)");
        using PodSandbox leftover = PodSandbox.Adopt(_pod, _paths, _sys, holder, mounted);
    }

    /// <summary>The holder recorded in holder.pid, if that pid is still the podshim-pause this pod started.</summary>
    private SpawnedHolder? AdoptHolder(long boot)
    {
        try
        {
            int pid = int.Parse(File.ReadAllText(_paths.HolderPid).Trim(), CultureInfo.InvariantCulture);
            if (ProcessInfo.Read(pid) is not { IsAlive: true } info
                || ProcessInfo.CommandLine(pid) is not [string argv0, ..] || !argv0.EndsWith("podshim-pause", StringComparison.Ordinal))
                return null;
            // The holder started just before holder.pid was written; a recycled pid started at some other time.
            DateTimeOffset written = File.GetLastWriteTimeUtc(_paths.HolderPid);
            DateTimeOffset started = info.StartedAt(boot);
            if (started > written + TimeSpan.FromSeconds(2) || started < written - TimeSpan.FromSeconds(60))
                return null;
            return SpawnedHolder.Adopt(pid);
        }
        catch (Exception e) when (e is IOException or FormatException or NativeException)
        {
            return null;
        }
    }

    /// <summary>
    /// What became of one attempt that had (or was getting) a process when the supervisor died. A running one is
    /// adopted (and, if its start was not yet handled, reported started); an ended one gives its exit record; one
    /// whose directory was never made is to be started again.
    /// </summary>
    private LifecycleEvent? AdoptAttempt(Container spec, ContainerSnapshot c, out bool startAgain)
    {
        startAgain = false;
        AttemptPaths a = _paths.Attempt(c.Name, c.Attempt);
        bool starting = c.Phase == ContainerPhase.Starting;
        if (!Directory.Exists(a.Directory))
        {
            startAgain = starting;
            Diagnostic?.Invoke($"{c.Name}#{c.Attempt}: never created{(starting ? ", starting it" : "")}");
            return starting ? null : new ContainerExited(c.Name, c.Attempt, Vanished(a));
        }
        int? keeper = ReadPid(a.KeeperPid);
        bool keeperAlive = keeper is int k && ProcessInfo.Read(k) is { IsAlive: true }
            && ProcessInfo.CommandLine(k).SkipWhile(arg => arg != "--log").Skip(1).FirstOrDefault() == a.Log;
        int? container = keeperAlive && ReadPid(a.ContainerPid) is int cp && ProcessInfo.Read(cp) is { IsAlive: true, ParentPid: var parent } && parent == keeper ? cp : null;
        if (starting && keeperAlive && container is null)
        {
            // Created but never let go: the keeper kills it as the supervisor's end closed its control pipe, and
            // records that it never started. Wait for that record.
            try
            {
                using SafeFdHandle pidfd = Posix.PidfdOpen(keeper!.Value);
                Posix.PollReadable(pidfd, 10_000);
            }
            catch (NativeException)
            {
            }
            keeperAlive = false;
        }
        if (ExitRecord.TryRead(a.Exit) is { } ended)
        {
            if (starting && !ended.Started)
            {
                // The start was cut short before the process ran: not a failure of the container, just started again.
                Diagnostic?.Invoke($"{c.Name}#{c.Attempt}: its start was cut short, starting it again");
                startAgain = true;
                return null;
            }
            Diagnostic?.Invoke($"{c.Name}#{c.Attempt}: exited meanwhile (exit code {ended.ExitCode})");
            return new ContainerExited(c.Name, c.Attempt, ended);
        }
        if (keeperAlive && keeper is int kp)
        {
            ContainerInstance instance;
            try
            {
                instance = ContainerInstance.Adopt(_sandbox!, spec, ResolveImage(spec.Image), c.Attempt, kp, container);
            }
            catch (Exception e) when (e is NativeException or ImageNotFoundException or ContainerConfigException or IOException or FormatException)
            {
                Diagnostic?.Invoke($"{c.Name}#{c.Attempt}: cannot adopt keeper {kp}: {e.Message}; killing it");
                Posix.Kill(kp, Posix.SIGKILL);
                return new ContainerExited(c.Name, c.Attempt, ExitRecord.TryRead(a.Exit) ?? Vanished(a));
            }
            _instances[(c.Name, c.Attempt)] = instance;
            WatchExit(instance, c.Name, c.Attempt);
            Diagnostic?.Invoke($"{c.Name}#{c.Attempt}: keeper {kp} adopted, container {(container is int p ? $"pid {p}" : "not running")}");
            return starting && container is not null
                ? new ContainerStarted(c.Name, c.Attempt, File.GetLastWriteTimeUtc(a.ContainerPid))
                : null;
        }
        // The keeper is gone too; it may have written its record just now.
        if (ExitRecord.TryRead(a.Exit) is null && starting)
        {
            Diagnostic?.Invoke($"{c.Name}#{c.Attempt}: its start left nothing behind, starting it again");
            startAgain = true;
            return null;
        }
        ExitRecord exit = ExitRecord.TryRead(a.Exit) ?? Vanished(a);
        Diagnostic?.Invoke($"{c.Name}#{c.Attempt}: keeper gone, exit code {exit.ExitCode}");
        return new ContainerExited(c.Name, c.Attempt, exit);
    }

    /// <summary>An attempt nothing is left of: reported as a SIGKILL would be (what the keeper reports when it dies).</summary>
    private static ExitRecord Vanished(AttemptPaths a) =>
        new(ReadPid(a.ContainerPid) ?? 0, true, 137, 9, null, DateTimeOffset.UtcNow, false);

    private static int? ReadPid(string path)
    {
        try
        {
            return int.Parse(File.ReadAllText(path).Trim(), CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or FormatException)
        {
            return null;
        }
    }

    private ResolvedImage ResolveImage(string reference) =>
        _resolved.TryGetValue(reference, out ResolvedImage? known) ? known : _resolved[reference] = _images.Resolve(reference);

    /// <summary>Probe results go to the lifecycle; their changes also to probes.jsonl (for `describe --timeline`).</summary>
    private void PostProbeResult(LifecycleEvent e)
    {
        if (e is ProbeChanged p)
        {
            var buffer = new MemoryStream();
            using (var w = new Utf8JsonWriter(buffer))
            {
                w.WriteStartObject();
                w.WriteString("time", UtcText.Milliseconds(DateTimeOffset.UtcNow));
                w.WriteString("container", p.Container);
                w.WriteNumber("attempt", p.Attempt);
                w.WriteString("probe", p.Kind.ToString());
                w.WriteBoolean("success", p.Success);
                w.WriteEndObject();
            }
            buffer.WriteByte((byte)'\n');
            lock (_eventsLock)
            {
                using var stream = new FileStream(_paths.ProbeLog, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
                stream.Write(buffer.GetBuffer(), 0, (int)buffer.Length);
            }
        }
        Lifecycle.Post(e);
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
        WatchExit(instance, container.Name, attempt);
    }

    /// <summary>Waits (on its own thread) for the attempt's keeper to exit, then posts its exit record.</summary>
    private void WatchExit(ContainerInstance instance, string name, int attempt)
    {
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
            if (instance.Cgroup is { } cgroup)
                exit = CgroupSetup.AfterExit(cgroup, exit, this);
            if (!_disposed)
                Lifecycle.Post(new ContainerExited(name, attempt, exit));
        })
        { IsBackground = true, Name = $"exit {name}#{attempt}" };
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
            family => NetnsSocket.OpenStream((_sandbox ?? throw new InvalidOperationException("no sandbox")).Holder!.Pidfd, family),
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
            w.WriteString("time", UtcText.Milliseconds(DateTimeOffset.UtcNow));
            w.WriteString("type", type);
            w.WriteString("reason", reason);
            w.WriteString("message", message);
            w.WriteString("object", container is null ? $"pod/{_pod.Metadata.Name}" : FieldPath(container));
            w.WriteString("source", reason == "Scheduled" ? "default-scheduler" : "kubelet");
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
