using System.Globalization;
using PodShim.Interop;
using PodShim.Interop.Syscalls;
using PodShim.Manifest;
using PodShim.Runtime.State;

namespace PodShim.Runtime.Pods;

/// <summary>
/// What a pod's containers share: the holder's namespaces, /dev/shm, the runtime-managed /etc files and
/// the pod's volumes. Disposing tears all of it down, whatever state creation stopped in.
/// </summary>
public sealed class PodSandbox : IDisposable
{
    private readonly ISyscalls _sys;
    private readonly List<string> _mounts = new();

    private PodSandbox(Pod pod, PodPaths paths, ISyscalls sys)
    {
        Pod = pod;
        Paths = paths;
        _sys = sys;
        Hostname = Truncate(pod.Spec.Hostname ?? pod.Metadata.Name, 63);
    }

    public Pod Pod { get; }
    public PodPaths Paths { get; }
    public string Hostname { get; }
    public SpawnedHolder? Holder { get; private set; }

    /// <summary>Namespaces of the holder that containers join.</summary>
    public int SharedNamespaces => Namespaces.Ipc | (Pod.Spec.HostNetwork ? 0 : Namespaces.Network | Namespaces.Uts);

    /// <summary>Host-side preparation only (directories, tmpfs mounts, files): unit-testable with a fake.</summary>
    public static PodSandbox Prepare(Pod pod, PodPaths paths, ISyscalls sys)
    {
        var sandbox = new PodSandbox(pod, paths, sys);
        try
        {
            sandbox.PrepareFilesystem();
            return sandbox;
        }
        catch
        {
            sandbox.Dispose();
            throw;
        }
    }

    /// <summary>Prepares the sandbox and starts its holder.</summary>
    public static PodSandbox Create(Pod pod, PodPaths paths, string binDirectory, ISyscalls sys)
    {
        PodSandbox sandbox = Prepare(pod, paths, sys);
        try
        {
            int ns = Namespaces.Ipc | (pod.Spec.HostNetwork ? 0 : Namespaces.Network | Namespaces.Uts)
                | (pod.Spec.ShareProcessNamespace ? Namespaces.Pid : 0);
            sandbox.Holder = HolderSpawner.Spawn(Path.Combine(binDirectory, "podshim-pause"), pod.Spec.HostNetwork ? null : sandbox.Hostname, ns);
            AtomicFile.WriteAllText(paths.HolderPid, sandbox.Holder.Pid.ToString(CultureInfo.InvariantCulture) + "\n");
            return sandbox;
        }
        catch
        {
            sandbox.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Takes over the sandbox a killed supervisor left (recovery): the holder when it still runs (null: lost), and
    /// the host mounts of the pod that are still mounted (<paramref name="mounted"/>: mount points), so that
    /// disposing it tears down the same things as disposing the original would have.
    /// </summary>
    public static PodSandbox Adopt(Pod pod, PodPaths paths, ISyscalls sys, SpawnedHolder? holder, IReadOnlySet<string> mounted)
    {
        var sandbox = new PodSandbox(pod, paths, sys) { Holder = holder };
        if (mounted.Contains(paths.Shm))
            sandbox._mounts.Add(paths.Shm);
        foreach (Volume volume in pod.Spec.Volumes)
            if (volume.EmptyDir is not null && mounted.Contains(paths.Volume(volume.Name)))
                sandbox._mounts.Add(paths.Volume(volume.Name));
        return sandbox;
    }

    private void PrepareFilesystem()
    {
        _sys.CreateDirectory(Paths.Directory, (UnixFileMode)0b111_101_101);
        _sys.CreateDirectory(Paths.Shm, (UnixFileMode)0b1_111_111_111);
        MountTmpfs(Paths.Shm, "mode=1777,size=65536k");

        _sys.CreateDirectory(Paths.Etc, (UnixFileMode)0b111_101_101);
        File.WriteAllText(Path.Combine(Paths.Etc, "hostname"), Hostname + "\n");
        File.WriteAllText(Path.Combine(Paths.Etc, "hosts"),
            "# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n" +
            "fe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n" +
            $"127.0.1.1\t{Hostname}\n");
        string serviceAccount = Path.Combine(Paths.Etc, "serviceaccount");
        _sys.CreateDirectory(serviceAccount, (UnixFileMode)0b111_101_101);
        File.WriteAllText(Path.Combine(serviceAccount, "namespace"), Pod.Metadata.Namespace);

        foreach (Volume volume in Pod.Spec.Volumes)
        {
            if (volume.EmptyDir is { } emptyDir)
            {
                string dir = Paths.Volume(volume.Name);
                _sys.CreateDirectory(dir, (UnixFileMode)0b111_111_111);
                if (string.Equals(emptyDir.Medium, "Memory", StringComparison.Ordinal))
                {
                    string size = emptyDir.SizeLimit is { } limit ? $",size={limit.Value}" : "";
                    MountTmpfs(dir, "mode=0777" + size);
                }
            }
        }
    }

    private void MountTmpfs(string target, string options)
    {
        _sys.Mount("tmpfs", target, "tmpfs", MountFlags.NoSuid | MountFlags.NoDev, options);
        _mounts.Add(target);
    }

    /// <summary>The bind mounts every container of this pod gets (runtime files and the pod's volumes).</summary>
    public IReadOnlyList<MountRequest> MountsFor(Container container)
    {
        var mounts = new List<MountRequest>
        {
            new(Path.Combine(Paths.Etc, "hosts"), "/etc/hosts", null, MountFlags.Bind, null, TargetIsFile: true),
            new(Path.Combine(Paths.Etc, "hostname"), "/etc/hostname", null, MountFlags.Bind, null, TargetIsFile: true),
            new(Path.Combine(Paths.Etc, "serviceaccount"), "/var/run/secrets/kubernetes.io/serviceaccount", null,
                MountFlags.Bind | MountFlags.ReadOnly, null),
        };
        foreach (VolumeMount vm in container.VolumeMounts)
        {
            Volume volume = Pod.Spec.Volumes.FirstOrDefault(v => v.Name == vm.Name)
                ?? throw new Containers.ContainerConfigException($"volume \"{vm.Name}\" not found");
            string source;
            bool isFile = false;
            if (volume.EmptyDir is not null)
                source = Paths.Volume(volume.Name);
            else if (volume.HostPath is { } hostPath)
            {
                source = hostPath.Path;
                isFile = File.Exists(source);
            }
            else
                throw new Containers.ContainerConfigException($"volume \"{volume.Name}\": only emptyDir and hostPath volumes are supported so far");
            if (!string.IsNullOrEmpty(vm.SubPath))
            {
                source = ResolveSubPath(source, vm.SubPath, volume.Name);
                isFile = File.Exists(source);
            }
            mounts.Add(new MountRequest(source, vm.MountPath, null, MountFlags.Bind | MountFlags.Rec | (vm.ReadOnly ? MountFlags.ReadOnly : 0), null, isFile));
        }
        return mounts;
    }

    /// <summary>Stops the holder and removes every host mount the sandbox made.</summary>
    public void Dispose()
    {
        if (Holder is { } holder)
        {
            // Always reap it: a holder that already died is a zombie until waited for.
            Posix.SendSignal(holder.Pidfd, Posix.SIGTERM);
            if (Posix.WaitExit(holder.Pidfd, 2_000) is null)
            {
                Posix.SendSignal(holder.Pidfd, Posix.SIGKILL);
                Posix.WaitExit(holder.Pidfd, 5_000);
            }
            holder.Dispose();
            Holder = null;
        }
        for (int i = _mounts.Count - 1; i >= 0; i--)
            _sys.Unmount(_mounts[i], detach: true);
        _mounts.Clear();
    }

    /// <summary>
    /// volume/subPath, created when missing, refusing any symlink on the way: a container could have
    /// planted one in a shared volume to point the bind at the host (CVE-2017-1002101).
    /// </summary>
    private static string ResolveSubPath(string volumeRoot, string subPath, string volumeName)
    {
        string current = volumeRoot;
        foreach (string part in subPath.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part is "." or "..")
                throw new Containers.ContainerConfigException($"subPath \"{subPath}\" of volume \"{volumeName}\" must be a relative path without \"..\"");
            current = Path.Combine(current, part);
            var info = new FileInfo(current);
            if (info.LinkTarget is not null)
                throw new Containers.ContainerConfigException($"subPath \"{subPath}\" of volume \"{volumeName}\" goes through a symlink; refused");
            if (!info.Exists && !Directory.Exists(current))
                Directory.CreateDirectory(current);
        }
        return current;
    }

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..max].TrimEnd('-', '.');
}
