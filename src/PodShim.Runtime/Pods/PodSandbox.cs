using System.Globalization;
using PodShim.Interop;
using PodShim.Interop.Syscalls;
using PodShim.Manifest;
using PodShim.Runtime.State;
using PodShim.Runtime.Volumes;

namespace PodShim.Runtime.Pods;

/// <summary>
/// What a pod's containers share: the holder's namespaces, /dev/shm, the runtime-managed /etc files and
/// the pod's volumes. Disposing tears all of it down, whatever state creation stopped in.
/// </summary>
public sealed class PodSandbox : IDisposable
{
    private readonly ISyscalls _sys;
    private readonly List<string> _mounts = new();
    private PodVolumes? _volumes;

    private PodSandbox(Pod pod, PodPaths paths, ISyscalls sys)
    {
        Pod = pod;
        Paths = paths;
        _sys = sys;
        // A hostNetwork pod has the node's hostname (kubelet GeneratePodHostNameAndDomain).
        Hostname = pod.Spec.HostNetwork ? Environment.MachineName : Truncate(pod.Spec.Hostname ?? pod.Metadata.Name, 63);
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

    private void PrepareFilesystem()
    {
        _sys.CreateDirectory(Paths.Directory, (UnixFileMode)0b111_101_101);
        _sys.CreateDirectory(Paths.Shm, (UnixFileMode)0b1_111_111_111);
        MountTmpfs(Paths.Shm, "mode=1777,size=65536k");

        _sys.CreateDirectory(Paths.Etc, (UnixFileMode)0b111_101_101);
        File.WriteAllText(Path.Combine(Paths.Etc, "hostname"), Hostname + "\n");
        File.WriteAllText(Path.Combine(Paths.Etc, "hosts"), Pod.Spec.HostNetwork
            ? EtcFiles.NodeHosts(Pod)
            : EtcFiles.ManagedHosts(Pod, Hostname, [EtcFiles.PodAddressStandIn]));
        _volumes = PodVolumes.Prepare(Pod, Paths, _sys, NodeInfo.Host(), _mounts.Add);
    }

    private void MountTmpfs(string target, string options)
    {
        _sys.Mount("tmpfs", target, "tmpfs", MountFlags.NoSuid | MountFlags.NoDev, options);
        _mounts.Add(target);
    }

    /// <summary>The bind mounts every container of this pod gets (runtime files and the pod's volumes), parents first.</summary>
    public IReadOnlyList<MountRequest> MountsFor(Container container)
    {
        var mounts = new List<MountRequest>();
        // The kubelet's /etc/hosts and the runtime's /etc/hostname, unless the container mounts something there itself.
        if (!PodVolumes.Targets(container, "/etc/hosts"))
            mounts.Add(new(Path.Combine(Paths.Etc, "hosts"), "/etc/hosts", null, MountFlags.Bind, null, TargetIsFile: true));
        if (!PodVolumes.Targets(container, "/etc/hostname"))
            mounts.Add(new(Path.Combine(Paths.Etc, "hostname"), "/etc/hostname", null, MountFlags.Bind, null, TargetIsFile: true));
        mounts.AddRange((_volumes ?? throw new InvalidOperationException("the sandbox is not prepared")).MountsFor(container));
        return PodVolumes.Ordered(mounts);
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

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..max].TrimEnd('-', '.');
}
