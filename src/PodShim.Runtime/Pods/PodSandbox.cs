using System.Globalization;
using PodShim.Interop;
using PodShim.Interop.Syscalls;
using PodShim.Manifest;
using PodShim.Runtime.Cgroups;
using PodShim.Runtime.ClusterDns;
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

    private readonly ClusterDnsOptions _dns;

    private PodSandbox(Pod pod, PodPaths paths, ISyscalls sys, ClusterDnsOptions? dns)
    {
        Pod = pod;
        Paths = paths;
        _sys = sys;
        _dns = dns ?? ClusterDnsOptions.Default;
        // A hostNetwork pod has the node's hostname (kubelet GeneratePodHostNameAndDomain).
        Hostname = pod.Spec.HostNetwork ? Environment.MachineName : Truncate(pod.Spec.Hostname ?? pod.Metadata.Name, 63);
    }

    public Pod Pod { get; }
    public PodPaths Paths { get; }
    public string Hostname { get; }
    public SpawnedHolder? Holder { get; private set; }
    /// <summary>The holder's cgroup (null without cgroup v2): removed with the sandbox.</summary>
    public ContainerCgroup? HolderCgroup { get; private set; }
    /// <summary>Why the pod's resolv.conf lost nameservers or search domains (kubelet's DNSConfigForming warnings).</summary>
    public IReadOnlyList<string> DnsWarnings { get; private set; } = [];

    /// <summary>Namespaces of the holder that containers join.</summary>
    public int SharedNamespaces => Namespaces.Ipc | (Pod.Spec.HostNetwork ? 0 : Namespaces.Network | Namespaces.Uts);

    /// <summary>Host-side preparation only (directories, tmpfs mounts, files): unit-testable with a fake.</summary>
    public static PodSandbox Prepare(Pod pod, PodPaths paths, ISyscalls sys, ClusterDnsOptions? dns = null)
    {
        var sandbox = new PodSandbox(pod, paths, sys, dns);
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

    /// <summary>Prepares the sandbox and starts its holder (in <paramref name="holderCgroup"/> when given).</summary>
    public static PodSandbox Create(Pod pod, PodPaths paths, string binDirectory, ISyscalls sys, ContainerCgroup? holderCgroup = null,
        ClusterDnsOptions? dns = null)
    {
        PodSandbox sandbox = Prepare(pod, paths, sys, dns);
        sandbox.HolderCgroup = holderCgroup;
        try
        {
            int ns = Namespaces.Ipc | (pod.Spec.HostNetwork ? 0 : Namespaces.Network | Namespaces.Uts)
                | (pod.Spec.ShareProcessNamespace ? Namespaces.Pid : 0);
            sandbox.Holder = SpawnHolder(Path.Combine(binDirectory, "podshim-pause"), pod.Spec.HostNetwork ? null : sandbox.Hostname, ns, holderCgroup);
            AtomicFile.WriteAllText(paths.HolderPid, sandbox.Holder.Pid.ToString(CultureInfo.InvariantCulture) + "\n");
            return sandbox;
        }
        catch
        {
            sandbox.Dispose();
            throw;
        }
    }

    /// <summary>The holder starts in its cgroup (CLONE_INTO_CGROUP), or is moved there on kernels without it.</summary>
    private static SpawnedHolder SpawnHolder(string pausePath, string? hostname, int ns, ContainerCgroup? cgroup)
    {
        if (cgroup?.CloneTarget is { } target)
        {
            try
            {
                return HolderSpawner.Spawn(pausePath, hostname, ns, cgroupDirectory: target);
            }
            catch (NativeException e) when (cgroup.FallBackFromCloneInto(e.ErrorNumber))
            {
            }
        }
        SpawnedHolder holder = HolderSpawner.Spawn(pausePath, hostname, ns);
        if (cgroup is not null)
        {
            try
            {
                cgroup.AddProcess(holder.Pid);
            }
            catch
            {
                Posix.SendSignal(holder.Pidfd, Posix.SIGKILL);
                Posix.WaitExit(holder.Pidfd, 5_000);
                holder.Dispose();
                throw;
            }
        }
        return holder;
    }

    /// <summary>
    /// Takes over the sandbox a killed supervisor left (recovery): the holder when it still runs (null: lost), and
    /// the host mounts of the pod that are still mounted (<paramref name="mounted"/>: mount points), so that
    /// disposing it tears down the same things as disposing the original would have.
    /// </summary>
    public static PodSandbox Adopt(Pod pod, PodPaths paths, ISyscalls sys, SpawnedHolder? holder, IReadOnlySet<string> mounted)
    {
        var sandbox = new PodSandbox(pod, paths, sys, dns: null) { Holder = holder };
        // Every host mount of the pod (/dev/shm, memory and projected volumes, subPath binds), parents first
        // (they are removed in reverse).
        foreach (string mount in mounted.OrderBy(m => m.Length).ThenBy(m => m, StringComparer.Ordinal))
            sandbox._mounts.Add(mount);
        // The volumes exist already: new attempts get their mounts, nothing is made again.
        sandbox._volumes = PodVolumes.Attach(pod, paths, sys, NodeInfo.Host(), sandbox._mounts.Add);
        return sandbox;
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
        var dnsWarnings = new List<string>();
        ResolverConfig resolver = PodResolvConf.Form(Pod, _dns.ReadNodeConfig(), _dns.ResolverText, _dns.ClusterDomain, dnsWarnings);
        File.WriteAllText(Path.Combine(Paths.Etc, "resolv.conf"), resolver.Render());
        DnsWarnings = dnsWarnings;
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
        // The container runtime's resolv.conf, unless the container mounts its own (containerd does the same).
        if (!container.VolumeMounts.Any(vm => vm.MountPath.TrimEnd('/') == "/etc/resolv.conf"))
            mounts.Add(new MountRequest(Path.Combine(Paths.Etc, "resolv.conf"), "/etc/resolv.conf", null, MountFlags.Bind, null, TargetIsFile: true));
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
        if (HolderCgroup is { } cgroup)
        {
            try
            {
                cgroup.Remove();
            }
            catch (Exception e) when (e is NativeException or IOException)
            {
                // The pod cgroup's removal tries again and reports it.
            }
            cgroup.Dispose();
            HolderCgroup = null;
        }
        for (int i = _mounts.Count - 1; i >= 0; i--)
            _sys.Unmount(_mounts[i], detach: true);
        _mounts.Clear();
    }

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..max].TrimEnd('-', '.');
}
