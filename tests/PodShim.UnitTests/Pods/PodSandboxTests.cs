using PodShim.Interop;
using PodShim.Interop.Syscalls;
using PodShim.Manifest;
using PodShim.Runtime.ClusterDns;
using PodShim.Runtime.Containers;
using PodShim.Runtime.Pods;
using PodShim.Runtime.State;
using PodShim.Runtime.Volumes;
using PodShim.UnitTests.Fakes;

namespace PodShim.UnitTests.Pods;

public sealed class PodSandboxTests : IDisposable
{
    private readonly TestDirectory _dir = new();
    private readonly RecordingSyscalls _sys = new();
    private readonly PodPaths _paths;

    public PodSandboxTests()
    {
        _paths = new StateLayout(_dir.Path).Pod("shop", "web");
    }

    public void Dispose() => _dir.Dispose();

    private const ulong NoSuidNoDev = MountFlags.NoSuid | MountFlags.NoDev;

    private static Pod PodWith(string spec, string name = "web") => TestPods.Load($"""
        apiVersion: v1
        kind: Pod
        metadata:
          name: {name}
          namespace: shop
        spec:
        {spec}
        """);

    private const string Volumes = """
          containers:
          - name: app
            image: busybox
            volumeMounts:
            - name: cache
              mountPath: /cache
            - name: scratch
              mountPath: /scratch
              readOnly: true
          volumes:
          - name: cache
            emptyDir:
              medium: Memory
              sizeLimit: 64Mi
          - name: scratch
            emptyDir: {}
        """;

    private const string OneContainer = """
          containers:
          - name: app
            image: busybox
        """;

    private PodSandbox Prepare(Pod pod) => PodSandbox.Prepare(pod, _paths, _sys, Dns());

    /// <summary>DNS options reading a node resolv.conf of the test's own, never the host's.</summary>
    private ClusterDnsOptions Dns()
    {
        string nodeResolvConf = _dir.Combine("node-resolv.conf");
        if (!File.Exists(nodeResolvConf))
            File.WriteAllText(nodeResolvConf, "nameserver 192.0.2.53\nsearch corp.example\n");
        return ClusterDnsOptions.Default with { NodeResolvConf = nodeResolvConf };
    }

    [Fact]
    public void ShmIsAPrivateTmpfs()
    {
        using PodSandbox sandbox = Prepare(PodWith(OneContainer));
        MountCall shm = Assert.Single(_sys.Mounts, m => m.Target == _paths.Shm);
        Assert.Equal(new MountCall("tmpfs", _paths.Shm, "tmpfs", NoSuidNoDev, "mode=1777,size=65536k"), shm);
        Assert.Contains(_sys.Directories, d => d.Path == _paths.Shm);
    }

    [Fact]
    public void ShmDirectoryIsCreatedBeforeItIsMounted()
    {
        using PodSandbox sandbox = Prepare(PodWith(OneContainer));
        int created = _sys.Calls.ToList().FindIndex(c => c is CreateDirectoryCall d && d.Path == _paths.Shm);
        int mounted = _sys.Calls.ToList().FindIndex(c => c is MountCall m && m.Target == _paths.Shm);
        Assert.InRange(created, 0, mounted - 1);
    }

    [Fact]
    public void PodWithoutVolumesMountsOnlyShm()
    {
        using PodSandbox sandbox = Prepare(PodWith(OneContainer));
        Assert.Equal([_paths.Shm], _sys.Mounts.Select(m => m.Target));
        Assert.Empty(_sys.Unmounts);
    }

    [Fact]
    public void MemoryEmptyDirIsATmpfsOfItsSizeLimit()
    {
        using PodSandbox sandbox = Prepare(PodWith(Volumes));
        string dir = _paths.Volume("cache");
        MountCall mount = Assert.Single(_sys.Mounts, m => m.Target == dir);
        Assert.Equal("tmpfs", mount.Source);
        Assert.Equal("tmpfs", mount.FsType);
        Assert.Equal(NoSuidNoDev, mount.Flags);
        Assert.Equal("mode=0777,size=67108864", mount.Data);
    }

    [Theory]
    [InlineData("1Gi", "size=1073741824")]
    [InlineData("500M", "size=500000000")]
    [InlineData("128974848", "size=128974848")]
    public void MemoryEmptyDirSizeIsInBytes(string sizeLimit, string expectedOption)
    {
        using PodSandbox sandbox = Prepare(PodWith($"""
              containers:
              - name: app
                image: busybox
              volumes:
              - name: m
                emptyDir:
                  medium: Memory
                  sizeLimit: {sizeLimit}
            """));
        MountCall mount = Assert.Single(_sys.Mounts, m => m.Target == _paths.Volume("m"));
        Assert.Contains(expectedOption, mount.Data!.Split(','));
    }

    [Fact]
    public void MemoryEmptyDirWithoutSizeLimitIsAsLargeAsTheNodesMemory()
    {
        // kubelet calculateEmptyDirMemorySize: node allocatable memory when neither the pod nor the volume limits it.
        using PodSandbox sandbox = Prepare(PodWith("""
              containers:
              - name: app
                image: busybox
              volumes:
              - name: m
                emptyDir:
                  medium: Memory
            """));
        MountCall mount = Assert.Single(_sys.Mounts, m => m.Target == _paths.Volume("m"));
        Assert.Equal($"mode=0777,size={NodeInfo.Host().MemoryBytes}", mount.Data);
    }

    [Theory]
    [InlineData("32Mi", "64Mi", 32L << 20)]   // the pod's memory limit is below sizeLimit
    [InlineData("64Mi", "16Mi", 16L << 20)]   // sizeLimit is below the pod's limit
    [InlineData("64Mi", null, 64L << 20)]     // no sizeLimit: the pod's limit
    public void MemoryEmptyDirIsTheSmallestOfSizeLimitAndThePodsMemoryLimit(string podLimit, string? sizeLimit, long expected)
    {
        using PodSandbox sandbox = Prepare(PodWith($"""
              containers:
              - name: app
                image: busybox
                resources:
                  limits:
                    memory: {podLimit}
              volumes:
              - name: m
                emptyDir:
                  medium: Memory
            {(sizeLimit is null ? "" : $"      sizeLimit: {sizeLimit}")}
            """));
        MountCall mount = Assert.Single(_sys.Mounts, m => m.Target == _paths.Volume("m"));
        Assert.Equal($"mode=0777,size={expected}", mount.Data);
    }

    [Fact]
    public void AMemoryLimitOnOnlySomeContainersDoesNotLimitTheVolume()
    {
        // The pod has a memory limit only when every container has one (kubelet ResourceConfigForPod).
        using PodSandbox sandbox = Prepare(PodWith("""
              containers:
              - name: a
                image: busybox
                resources:
                  limits:
                    memory: 32Mi
              - name: b
                image: busybox
              volumes:
              - name: m
                emptyDir:
                  medium: Memory
            """));
        MountCall mount = Assert.Single(_sys.Mounts, m => m.Target == _paths.Volume("m"));
        Assert.Equal($"mode=0777,size={NodeInfo.Host().MemoryBytes}", mount.Data);
    }

    [Fact]
    public void DiskEmptyDirIsAWorldWritableDirectoryWithoutMount()
    {
        using PodSandbox sandbox = Prepare(PodWith(Volumes));
        string dir = _paths.Volume("scratch");
        CreateDirectoryCall created = Assert.Single(_sys.Directories, d => d.Path == dir);
        Assert.Equal((UnixFileMode)0b111_111_111, created.Mode);
        Assert.DoesNotContain(_sys.Mounts, m => m.Target == dir);
        Assert.True(Directory.Exists(dir));
    }

    [Fact]
    public void DirectoryModes()
    {
        using PodSandbox sandbox = Prepare(PodWith(OneContainer));
        UnixFileMode Mode(string path) => Assert.Single(_sys.Directories, d => d.Path == path).Mode;
        Assert.Equal((UnixFileMode)0b111_101_101, Mode(_paths.Directory));
        Assert.Equal((UnixFileMode)0b1_111_111_111, Mode(_paths.Shm)); // 1777
        Assert.Equal((UnixFileMode)0b111_101_101, Mode(_paths.Etc));
    }

    [Fact]
    public void DisposeUnmountsEveryMountInReverseOrder()
    {
        PodSandbox sandbox = Prepare(PodWith(Volumes));
        List<string> mounted = _sys.Mounts.Select(m => m.Target).ToList();
        Assert.Equal([_paths.Shm, _paths.Volume("cache")], mounted);
        sandbox.Dispose();
        Assert.Equal(Enumerable.Reverse(mounted), _sys.Unmounts.Select(u => u.Target));
        Assert.All(_sys.Unmounts, u => Assert.True(u.Detach));
    }

    [Fact]
    public void SecondDisposeUnmountsNothingMore()
    {
        PodSandbox sandbox = Prepare(PodWith(Volumes));
        sandbox.Dispose();
        int count = _sys.Unmounts.Count();
        sandbox.Dispose();
        Assert.Equal(count, _sys.Unmounts.Count());
    }

    [Fact]
    public void FailedMountUndoesTheMountsAlreadyMade()
    {
        string cache = _paths.Volume("cache");
        _sys.FailMount = target => target == cache ? new NativeException("mount", target, Errno.ENOSPC) : null;
        var e = Assert.Throws<NativeException>(() => Prepare(PodWith(Volumes)));
        Assert.Equal(Errno.ENOSPC, e.ErrorNumber);
        Assert.Equal([_paths.Shm], _sys.Unmounts.Select(u => u.Target));
    }

    [Fact]
    public void HostsFileNamesThePodHostname()
    {
        using PodSandbox sandbox = Prepare(PodWith(OneContainer));
        string[] hosts = File.ReadAllLines(Path.Combine(_paths.Etc, "hosts"));
        Assert.Contains("127.0.0.1\tlocalhost", hosts);
        Assert.Contains("127.0.1.1\tweb", hosts);
        Assert.Equal("web\n", File.ReadAllText(Path.Combine(_paths.Etc, "hostname")));
        Assert.Equal("shop", File.ReadAllText(Path.Combine(_paths.Etc, "serviceaccount", "namespace")));
    }

    [Fact]
    public void SpecHostnameWinsOverPodName()
    {
        using PodSandbox sandbox = Prepare(PodWith("""
              hostname: db-0
            """ + "\n" + OneContainer));
        Assert.Equal("db-0", sandbox.Hostname);
        Assert.Contains("127.0.1.1\tdb-0", File.ReadAllLines(Path.Combine(_paths.Etc, "hosts")));
        Assert.Equal("db-0\n", File.ReadAllText(Path.Combine(_paths.Etc, "hostname")));
    }

    [Fact]
    public void LongPodNameIsCutTo63CharactersForTheHostname()
    {
        string name = new string('a', 62) + "-bcd";
        using PodSandbox sandbox = Prepare(PodWith(OneContainer, name));
        // Cut at 63 ("a"*62 + "-"), then the trailing dash removed.
        Assert.Equal(new string('a', 62), sandbox.Hostname);
    }

    [Fact]
    public void MountsForAContainerWithoutVolumes()
    {
        Pod pod = PodWith(OneContainer);
        using PodSandbox sandbox = Prepare(pod);
        IReadOnlyList<MountRequest> mounts = sandbox.MountsFor(pod.Spec.Containers[0]);
        Assert.Equal(
        [
            new MountRequest(Path.Combine(_paths.Etc, "hosts"), "/etc/hosts", null, MountFlags.Bind, null, TargetIsFile: true),
            new MountRequest(Path.Combine(_paths.Etc, "hostname"), "/etc/hostname", null, MountFlags.Bind, null, TargetIsFile: true),
            new MountRequest(Path.Combine(_paths.Etc, "resolv.conf"), "/etc/resolv.conf", null, MountFlags.Bind, null, TargetIsFile: true),
            new MountRequest(Path.Combine(_paths.Etc, "serviceaccount"), "/var/run/secrets/kubernetes.io/serviceaccount", null,
                MountFlags.Bind | MountFlags.ReadOnly, null),
        ], mounts);
    }

    [Fact]
    public void ResolvConfPointsAtTheClusterResolverWithTheKubeletSearchPath()
    {
        using PodSandbox sandbox = Prepare(PodWith(OneContainer));
        Assert.Equal("search shop.svc.cluster.local svc.cluster.local cluster.local corp.example\nnameserver 10.96.0.10\noptions ndots:5\n",
            File.ReadAllText(Path.Combine(_paths.Etc, "resolv.conf")));
        Assert.Empty(sandbox.DnsWarnings);
    }

    [Fact]
    public void AContainerMountingItsOwnResolvConfKeepsIt()
    {
        string own = _dir.Combine("own-resolv.conf");
        File.WriteAllText(own, "nameserver 192.0.2.1\n");
        Pod pod = PodWith($"""
              containers:
              - name: app
                image: busybox
                volumeMounts:
                - name: r
                  mountPath: /etc/resolv.conf
              volumes:
              - name: r
                hostPath:
                  path: {own}
            """);
        using PodSandbox sandbox = Prepare(pod);
        IReadOnlyList<MountRequest> mounts = sandbox.MountsFor(pod.Spec.Containers[0]);
        Assert.Equal(own, Assert.Single(mounts, m => m.Target == "/etc/resolv.conf").Source);
    }

    [Fact]
    public void MountsForBindsVolumesHonouringReadOnly()
    {
        Pod pod = PodWith(Volumes);
        using PodSandbox sandbox = Prepare(pod);
        IReadOnlyList<MountRequest> mounts = sandbox.MountsFor(pod.Spec.Containers[0]);
        Assert.Equal(6, mounts.Count); // hosts, hostname, resolv.conf, the two volumes, service account
        Assert.Equal(new MountRequest(_paths.Volume("cache"), "/cache", null, MountFlags.Bind | MountFlags.Rec, null), mounts.Single(m => m.Target == "/cache"));
        Assert.Equal(new MountRequest(_paths.Volume("scratch"), "/scratch", null, MountFlags.Bind | MountFlags.Rec | MountFlags.ReadOnly, null),
            mounts.Single(m => m.Target == "/scratch"));
    }

    [Fact]
    public void MountsAreOrderedParentsFirst()
    {
        // containerd sorts mounts by the depth of their target: /data before /data/sub whatever the manifest's order.
        Pod pod = PodWith("""
              containers:
              - name: app
                image: busybox
                volumeMounts:
                - name: b
                  mountPath: /data/sub
                - name: a
                  mountPath: /data
              volumes:
              - name: a
                emptyDir: {}
              - name: b
                emptyDir: {}
            """);
        using PodSandbox sandbox = Prepare(pod);
        Assert.Equal(["/data", "/etc/hosts", "/etc/hostname", "/data/sub", "/etc/resolv.conf", "/var/run/secrets/kubernetes.io/serviceaccount"],
            sandbox.MountsFor(pod.Spec.Containers[0]).Select(m => m.Target));
    }

    [Fact]
    public void AVolumeMountedOnEtcHostsReplacesTheManagedOne()
    {
        string hosts = _dir.Combine("my-hosts");
        File.WriteAllText(hosts, "10.0.0.1 db\n");
        Pod pod = PodWith($"""
              containers:
              - name: app
                image: busybox
                volumeMounts:
                - name: h
                  mountPath: /etc/hosts
              volumes:
              - name: h
                hostPath:
                  path: {hosts}
                  type: File
            """);
        using PodSandbox sandbox = Prepare(pod);
        MountRequest only = Assert.Single(sandbox.MountsFor(pod.Spec.Containers[0]), m => m.Target == "/etc/hosts");
        Assert.Equal(hosts, only.Source);
        Assert.True(only.TargetIsFile);
    }

    [Fact]
    public void AutomountServiceAccountTokenFalseLeavesTheDirectoryOut()
    {
        Pod pod = PodWith("  automountServiceAccountToken: false\n" + OneContainer);
        using PodSandbox sandbox = Prepare(pod);
        Assert.DoesNotContain(sandbox.MountsFor(pod.Spec.Containers[0]), m => m.Target.StartsWith("/var/run/secrets", StringComparison.Ordinal));
        Assert.False(Directory.Exists(Path.Combine(_paths.Etc, "serviceaccount")));
    }

    [Fact]
    public void ServiceAccountDirectoryHoldsTheNamespaceAndAPlaceholderToken()
    {
        using PodSandbox sandbox = Prepare(PodWith(OneContainer));
        string dir = Path.Combine(_paths.Etc, "serviceaccount");
        Assert.Equal("shop", File.ReadAllText(Path.Combine(dir, "namespace")));
        string token = File.ReadAllText(Path.Combine(dir, "token"));
        Assert.Contains("not-a-credential", token);
        // Laid out as the kubelet's AtomicWriter does: names link into ..data.
        Assert.Equal("..data/namespace", new FileInfo(Path.Combine(dir, "namespace")).LinkTarget);
        Assert.StartsWith("..20", new FileInfo(Path.Combine(dir, "..data")).LinkTarget);
    }

    [Fact]
    public void MountsForHostPathFileAndDirectory()
    {
        string hostDir = _dir.Combine("hostdir");
        Directory.CreateDirectory(hostDir);
        string hostFile = _dir.Combine("host.conf");
        File.WriteAllText(hostFile, "x");
        Pod pod = PodWith($"""
              containers:
              - name: app
                image: busybox
                volumeMounts:
                - name: d
                  mountPath: /data
                - name: f
                  mountPath: /etc/app.conf
                  readOnly: true
              volumes:
              - name: d
                hostPath:
                  path: {hostDir}
              - name: f
                hostPath:
                  path: {hostFile}
            """);
        using PodSandbox sandbox = Prepare(pod);
        IReadOnlyList<MountRequest> mounts = sandbox.MountsFor(pod.Spec.Containers[0]);
        Assert.Equal(new MountRequest(hostDir, "/data", null, MountFlags.Bind | MountFlags.Rec, null, TargetIsFile: false), mounts.Single(m => m.Target == "/data"));
        Assert.Equal(new MountRequest(hostFile, "/etc/app.conf", null, MountFlags.Bind | MountFlags.Rec | MountFlags.ReadOnly, null, TargetIsFile: true),
            mounts.Single(m => m.Target == "/etc/app.conf"));
        // hostPath volumes are not mounted on the host.
        Assert.DoesNotContain(_sys.Mounts, m => m.Target == hostDir || m.Target == hostFile);
    }

    [Fact]
    public void MountsForSubPathCreatesTheSubdirectory()
    {
        Pod pod = PodWith("""
              containers:
              - name: app
                image: busybox
                volumeMounts:
                - name: scratch
                  mountPath: /logs
                  subPath: app/logs
              volumes:
              - name: scratch
                emptyDir: {}
            """);
        using PodSandbox sandbox = Prepare(pod);
        MountRequest mount = sandbox.MountsFor(pod.Spec.Containers[0]).Single(m => m.Target == "/logs");
        Assert.True(Directory.Exists(Path.Combine(_paths.Volume("scratch"), "app/logs")));
        // The container mounts a bind of the opened subPath, made on the host under volume-subpaths/.
        string bind = Path.Combine(_paths.Directory, "volume-subpaths", "scratch", "app", "0");
        Assert.Equal(bind, mount.Source);
        Assert.False(mount.TargetIsFile);
        MountCall hostBind = Assert.Single(_sys.Mounts, m => m.Target == bind);
        Assert.StartsWith("/proc/self/fd/", hostBind.Source);
        Assert.Equal(MountFlags.Bind, hostBind.Flags);
        // Torn down with the sandbox.
        sandbox.Dispose();
        Assert.Contains(_sys.Unmounts, u => u.Target == bind);
    }

    [Fact]
    public void MountsForSubPathDoesNotFollowASymlinkOutOfTheVolume()
    {
        // A container can leave a symlink in its emptyDir; the next attempt's subPath must not resolve
        // through it to the host (CVE-2017-1002101; kubelet refuses: "subpath ... not within volume path").
        Pod pod = PodWith("""
              containers:
              - name: app
                image: busybox
                volumeMounts:
                - name: scratch
                  mountPath: /logs
                  subPath: escape/logs
              volumes:
              - name: scratch
                emptyDir: {}
            """);
        using PodSandbox sandbox = Prepare(pod);
        string outside = _dir.Combine("host");
        Directory.CreateDirectory(outside);
        File.CreateSymbolicLink(Path.Combine(_paths.Volume("scratch"), "escape"), outside);

        string? source = null;
        try
        {
            source = sandbox.MountsFor(pod.Spec.Containers[0]).Single(m => m.Target == "/logs").Source;
        }
        catch (ContainerConfigException)
        {
        }
        Assert.False(Directory.Exists(Path.Combine(outside, "logs")), "a directory was created outside the volume");
        if (source is not null)
        {
            string resolved = Path.GetFullPath(new DirectoryInfo(source).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? source);
            Assert.StartsWith(_paths.Volume("scratch") + "/", resolved);
        }
    }

    [Fact]
    public void MountsForUnknownVolumeIsAConfigError()
    {
        Pod pod = PodWith(OneContainer);
        using PodSandbox sandbox = Prepare(pod);
        Container container = pod.Spec.Containers[0] with { VolumeMounts = [new VolumeMount("missing", "/m", null, false)] };
        var e = Assert.Throws<ContainerConfigException>(() => sandbox.MountsFor(container));
        Assert.Contains("missing", e.Message);
    }

    [Theory]
    [InlineData(false, Namespaces.Ipc | Namespaces.Network | Namespaces.Uts)]
    [InlineData(true, Namespaces.Ipc)]
    public void SharedNamespaces(bool hostNetwork, int expected)
    {
        using PodSandbox sandbox = Prepare(PodWith($"""
              hostNetwork: {(hostNetwork ? "true" : "false")}
            """ + "\n" + OneContainer));
        Assert.Equal(expected, sandbox.SharedNamespaces);
    }

    [Fact]
    public void PrepareStartsNoHolderAndSendsNoSignal()
    {
        using PodSandbox sandbox = Prepare(PodWith(OneContainer));
        Assert.Null(sandbox.Holder);
        Assert.Empty(_sys.Calls.OfType<KillCall>());
    }
}
