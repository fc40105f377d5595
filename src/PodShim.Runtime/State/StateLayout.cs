namespace PodShim.Runtime.State;

/// <summary>The on-disk state layout under --root (see ARCHITECTURE.md, "State on disk").</summary>
public sealed class StateLayout
{
    public const string RootVariable = "PODSHIM_ROOT";
    public const string DefaultRootPath = "/var/lib/podshim";

    public StateLayout(string root) => Root = Path.GetFullPath(root);

    public string Root { get; }
    public string PodsDirectory => Path.Combine(Root, "pods");
    public string ImagesDirectory => Path.Combine(Root, "images");
    /// <summary>The Service registry: one <c>&lt;namespace&gt;_&lt;name&gt;.json</c> per Service.</summary>
    public string ServicesDirectory => Path.Combine(Root, "services");

    public static string ResolveRoot(string? option)
    {
        if (!string.IsNullOrEmpty(option))
            return option;
        string? env = Environment.GetEnvironmentVariable(RootVariable);
        return string.IsNullOrEmpty(env) ? DefaultRootPath : env;
    }

    public PodPaths Pod(string @namespace, string name) => new(Path.Combine(PodsDirectory, $"{@namespace}_{name}"));
}

/// <summary>Paths of one pod's state directory.</summary>
public sealed record PodPaths(string Directory)
{
    public string Manifest => Path.Combine(Directory, "pod.yaml");
    public string Status => Path.Combine(Directory, "status.json");
    public string Events => Path.Combine(Directory, "events.jsonl");
    public string SupervisorPid => Path.Combine(Directory, "supervisor.pid");
    public string HolderPid => Path.Combine(Directory, "holder.pid");
    /// <summary>What the API server would hold besides the manifest: uid, creation time, a summary for `get` (JSON).</summary>
    public string Record => Path.Combine(Directory, "meta.json");
    /// <summary>The lifecycle's own state, rewritten before every container start and after every event (recovery).</summary>
    public string Checkpoint => Path.Combine(Directory, "lifecycle.json");
    /// <summary>Held (flock) by the pod's supervisor for its whole life.</summary>
    public string SupervisorLock => Path.Combine(Directory, "supervisor.lock");
    /// <summary>A detached supervisor's own diagnostics (its stdout and stderr).</summary>
    public string SupervisorLog => Path.Combine(Directory, "supervisor.log");
    /// <summary>Probe results as they change (one JSON object a line), for `describe --timeline`.</summary>
    public string ProbeLog => Path.Combine(Directory, "probes.jsonl");
    /// <summary>The pod's /dev/shm: one tmpfs shared by all its containers.</summary>
    public string Shm => Path.Combine(Directory, "shm");
    /// <summary>Files the runtime manages and binds into containers (hosts, hostname, service account).</summary>
    public string Etc => Path.Combine(Directory, "etc");
    public string VolumesDirectory => Path.Combine(Directory, "volumes");
    public string Volume(string name) => Path.Combine(VolumesDirectory, name);
    public string ContainersDirectory => Path.Combine(Directory, "containers");
    /// <summary>
    /// Every attempt directory that exists (containers/&lt;name&gt;/&lt;attempt&gt;), never deeper: below an attempt is
    /// the container's writable layer, whose files (a planted "container.pid") the runtime must not trust.
    /// </summary>
    public IEnumerable<AttemptPaths> ExistingAttempts()
    {
        if (!System.IO.Directory.Exists(ContainersDirectory))
            yield break;
        foreach (string container in System.IO.Directory.EnumerateDirectories(ContainersDirectory))
            foreach (string attempt in System.IO.Directory.EnumerateDirectories(container))
                yield return new AttemptPaths(attempt);
    }

    public AttemptPaths Attempt(string container, int attempt) =>
        new(Path.Combine(ContainersDirectory, container, attempt.ToString(System.Globalization.CultureInfo.InvariantCulture)));
}

/// <summary>Paths of one container attempt: its log, exit record and writable layer.</summary>
public sealed record AttemptPaths(string Directory)
{
    public string Log => Path.Combine(Directory, "log");
    public string Exit => Path.Combine(Directory, "exit.json");
    public string Upper => Path.Combine(Directory, "upper");
    public string Work => Path.Combine(Directory, "work");
    public string Rootfs => Path.Combine(Directory, "rootfs");
    public string ContainerPid => Path.Combine(Directory, "container.pid");
    public string KeeperPid => Path.Combine(Directory, "keeper.pid");
}
