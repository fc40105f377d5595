using System.Text;
using PodShim.Interop;
using PodShim.Interop.Syscalls;
using PodShim.Manifest;
using PodShim.Runtime.Containers;
using PodShim.Runtime.State;

namespace PodShim.Runtime.Volumes;

/// <summary>
/// A pod's volumes on the host side, and the mounts each container gets from them:
/// emptyDir (a 0777 directory, or one tmpfs for the pod with medium Memory), hostPath (with its
/// type checks), downwardAPI and projected volumes (files written as the kubelet's AtomicWriter
/// does, mounted read-only), the service account directory, and subPath binds.
/// </summary>
public sealed class PodVolumes
{
    public const string ServiceAccountPath = "/var/run/secrets/kubernetes.io/serviceaccount";

    /// <summary>
    /// The service account "token": there is no API server, so there is no credential to give. The
    /// file exists (clients that read it at start-up do not fail on a missing file) and says what it is.
    /// </summary>
    public const string ServiceAccountToken = "podshim-no-api-server.this-is-not-a-credential";

    private readonly Pod _pod;
    private readonly PodPaths _paths;
    private readonly ISyscalls _sys;
    private readonly NodeInfo _node;
    private readonly SubPathMounts _subPaths;

    private PodVolumes(Pod pod, PodPaths paths, ISyscalls sys, NodeInfo node, Action<string> trackMount)
    {
        _pod = pod;
        _paths = paths;
        _sys = sys;
        _node = node;
        _subPaths = new SubPathMounts(paths.Directory, sys, trackMount);
    }

    public string ServiceAccountDirectory => Path.Combine(_paths.Etc, "serviceaccount");

    /// <summary>Sets up every volume of the pod (tmpfs mounts reported to <paramref name="trackMount"/> for teardown).
    /// Throws <see cref="VolumeSetupException"/> when one cannot be set up.</summary>
    public static PodVolumes Prepare(Pod pod, PodPaths paths, ISyscalls sys, NodeInfo node, Action<string> trackMount, TimeProvider? time = null)
    {
        var volumes = new PodVolumes(pod, paths, sys, node, trackMount);
        DateTimeOffset now = (time ?? TimeProvider.System).GetUtcNow();
        DownwardContext downward = node.Downward();
        foreach (Volume volume in pod.Spec.Volumes)
        {
            string dir = paths.Volume(volume.Name);
            if (volume.EmptyDir is { } emptyDir)
            {
                sys.CreateDirectory(dir, (UnixFileMode)0b111_111_111);
                if (emptyDir.Medium == "Memory")
                {
                    long size = EmptyDirVolume.MemorySize(pod, emptyDir.SizeLimit, node.MemoryBytes);
                    sys.Mount("tmpfs", dir, "tmpfs", MountFlags.NoSuid | MountFlags.NoDev, $"mode=0777,size={size}");
                    trackMount(dir);
                }
            }
            else if (volume.HostPath is { } hostPath)
            {
                HostPathVolume.Check(volume.Name, hostPath.Path, hostPath.Type);
            }
            else if (volume.DownwardAPI is { } downwardApi)
            {
                sys.CreateDirectory(dir, (UnixFileMode)0b111_111_111);
                AtomicWriter.Write(dir, DownwardApiVolume.Files(pod, downwardApi.Items, downwardApi.DefaultMode, downward), now);
            }
            else if (volume.Projected is { } projected)
            {
                // Projected volumes live in memory (they may hold tokens), sized like a Memory emptyDir.
                sys.CreateDirectory(dir, (UnixFileMode)0b111_111_111);
                sys.Mount("tmpfs", dir, "tmpfs", MountFlags.NoSuid | MountFlags.NoDev,
                    $"mode=0777,size={EmptyDirVolume.MemorySize(pod, null, node.MemoryBytes)}");
                trackMount(dir);
                var files = new List<VolumeFile>();
                foreach (VolumeProjection source in projected.Sources)
                {
                    if (source.DownwardAPI is { } items)
                        files.AddRange(DownwardApiVolume.Files(pod, items.Items, projected.DefaultMode, downward));
                    else if (source.ServiceAccountToken is { } token)
                        files.Add(new VolumeFile(token.Path, Encoding.UTF8.GetBytes(ServiceAccountToken), projected.DefaultMode));
                }
                AtomicWriter.Write(dir, files, now);
            }
        }
        if (pod.Spec.AutomountServiceAccountToken != false)
        {
            AtomicWriter.Write(volumes.ServiceAccountDirectory,
            [
                new VolumeFile("namespace", Encoding.UTF8.GetBytes(pod.Metadata.Namespace), 0b110_100_100),
                new VolumeFile("token", Encoding.UTF8.GetBytes(ServiceAccountToken), 0b110_100_100),
            ], now);
        }
        return volumes;
    }

    /// <summary>The volumes of a pod whose sandbox a new supervisor adopts: they exist, nothing is set up again.</summary>
    public static PodVolumes Attach(Pod pod, PodPaths paths, ISyscalls sys, NodeInfo node, Action<string> trackMount) =>
        new(pod, paths, sys, node, trackMount);

    /// <summary>The hostPath type checks alone (the *OrCreate types create what is missing): what can keep a pod waiting.</summary>
    public static void CheckHostPaths(Pod pod)
    {
        foreach (Volume volume in pod.Spec.Volumes)
        {
            if (volume.HostPath is { } hostPath)
                HostPathVolume.Check(volume.Name, hostPath.Path, hostPath.Type);
        }
    }

    /// <summary>The container's volume mounts (and the service account directory), in its volumeMounts order.</summary>
    public IReadOnlyList<MountRequest> MountsFor(Container container)
    {
        var mounts = new List<MountRequest>();
        for (int i = 0; i < container.VolumeMounts.Count; i++)
        {
            VolumeMount vm = container.VolumeMounts[i];
            Volume volume = _pod.Spec.Volumes.FirstOrDefault(v => v.Name == vm.Name)
                ?? throw new ContainerConfigException($"volume \"{vm.Name}\" not found");
            string source;
            bool readOnly = vm.ReadOnly;
            if (volume.EmptyDir is not null)
            {
                source = _paths.Volume(volume.Name);
            }
            else if (volume.HostPath is { } hostPath)
            {
                source = hostPath.Path;
                // No type: nothing was checked; a missing path is made a directory (as containerd does for a bind source).
                if (HostPathVolume.StatType(source) is null)
                    Directory.CreateDirectory(source, (UnixFileMode)0b111_101_101);
            }
            else if (volume.DownwardAPI is not null || volume.Projected is not null)
            {
                source = _paths.Volume(volume.Name);
                readOnly = true; // API data volumes are always read-only
            }
            else
            {
                throw new ContainerConfigException($"volume \"{volume.Name}\" has no supported source");
            }
            bool isFile = HostPathVolume.StatType(source) is uint t && t != UnixFileTypes.Directory;
            if (!string.IsNullOrEmpty(vm.SubPath))
                (source, isFile) = _subPaths.Bind(volume.Name, source, vm.SubPath, container.Name, i);
            mounts.Add(new MountRequest(source, vm.MountPath, null, MountFlags.Bind | MountFlags.Rec | (readOnly ? MountFlags.ReadOnly : 0), null, isFile));
        }
        if (_pod.Spec.AutomountServiceAccountToken != false && !Targets(container, ServiceAccountPath))
            mounts.Add(new MountRequest(ServiceAccountDirectory, ServiceAccountPath, null, MountFlags.Bind | MountFlags.ReadOnly, null));
        return mounts;
    }

    /// <summary>Whether one of the container's volumeMounts is at <paramref name="path"/> (then the runtime's own mount there is left out).</summary>
    public static bool Targets(Container container, string path) =>
        container.VolumeMounts.Any(m => Normalize(m.MountPath) == Normalize(path));

    private static string Normalize(string path) => "/" + string.Join('/', path.Split('/', StringSplitOptions.RemoveEmptyEntries));

    /// <summary>Parents before children (containerd orders mounts by the depth of their target), otherwise as listed.</summary>
    /// <remarks>An insertion sort (a handful of mounts): stable without LINQ's generic sorter over tuples, which
    /// ReadyToRun does not precompile and every container start would pay the JIT for.</remarks>
    public static IReadOnlyList<MountRequest> Ordered(IEnumerable<MountRequest> mounts)
    {
        var ordered = new List<MountRequest>(mounts);
        var depths = new List<int>(ordered.Count);
        foreach (MountRequest m in ordered)
            depths.Add(Depth(m.Target));
        for (int i = 1; i < ordered.Count; i++)
        {
            MountRequest mount = ordered[i];
            int depth = depths[i], j = i - 1;
            for (; j >= 0 && depths[j] > depth; j--)
            {
                ordered[j + 1] = ordered[j];
                depths[j + 1] = depths[j];
            }
            ordered[j + 1] = mount;
            depths[j + 1] = depth;
        }
        return ordered;
    }

    private static int Depth(string path) => path.Split('/', StringSplitOptions.RemoveEmptyEntries).Length;
}
