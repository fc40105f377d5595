using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using PodShim.Interop;
using PodShim.Manifest;
using PodShim.Runtime.Containers;
using PodShim.Runtime.State;
using PodShim.Runtime.Volumes;
using PodShim.UnitTests.Fakes;

namespace PodShim.UnitTests.Volumes;

public sealed class VolumeTests : IDisposable
{
    private readonly TestDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static Pod Load(string spec, string meta = "") => TestPods.Load($"""
        apiVersion: v1
        kind: Pod
        metadata:
          name: web
          namespace: shop
          uid: 9d1c6c1e-2b8a-4a7c-9a50-5d2b8f0c7e11
        {meta}
        spec:
        {spec}
        """);

    // ---- /etc/hosts ----

    [Fact]
    public void Mounts_are_ordered_parents_first_otherwise_as_listed()
    {
        static MountRequest M(string target) => new("/src" + target, target, null, 0, null);
        var listed = new[] { M("/data/a/b"), M("/data"), M("/etc/hosts"), M("/data/a"), M("/x/"), M("//y"), M("/data/c") };
        string[] ordered = PodVolumes.Ordered(listed).Select(m => m.Target).ToArray();
        Assert.Equal(["/data", "/x/", "//y", "/etc/hosts", "/data/a", "/data/c", "/data/a/b"], ordered);
        Assert.Empty(PodVolumes.Ordered([]));
    }

    [Fact]
    public void ManagedHostsIsTheKubeletsFile()
    {
        Pod pod = Load("""
              containers:
              - name: c
                image: busybox
            """);
        Assert.Equal(
            "# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n" +
            "fe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n10.1.2.3\tweb\n",
            EtcFiles.ManagedHosts(pod, "web", ["10.1.2.3"]));
    }

    [Fact]
    public void ManagedHostsWithSubdomainAndHostAliases()
    {
        Pod pod = Load("""
              hostname: db-0
              subdomain: db
              hostAliases:
              - ip: 10.0.0.9
                hostnames: [foo.local, bar.local]
              containers:
              - name: c
                image: busybox
            """);
        string hosts = EtcFiles.ManagedHosts(pod, "db-0", ["10.1.2.3"]);
        Assert.Contains("10.1.2.3\tdb-0.db.shop.svc.cluster.local\tdb-0\n", hosts);
        Assert.EndsWith("\n# Entries added by HostAliases.\n10.0.0.9\tfoo.local\tbar.local\n", hosts);
    }

    [Fact]
    public void HostNetworkPodsGetTheNodesHostsFilePlusAliases()
    {
        string nodeHosts = _dir.Combine("hosts");
        File.WriteAllText(nodeHosts, "127.0.0.1 localhost\n192.168.1.5 node1\n");
        Pod pod = Load("""
              hostNetwork: true
              hostAliases:
              - ip: 10.0.0.9
                hostnames: [foo]
              containers:
              - name: c
                image: busybox
            """);
        Assert.Equal("127.0.0.1 localhost\n192.168.1.5 node1\n\n# Entries added by HostAliases.\n10.0.0.9\tfoo\n", EtcFiles.NodeHosts(pod, nodeHosts));
    }

    // ---- AtomicWriter and the downward API ----

    [Fact]
    public void AtomicWriterLayout()
    {
        string vol = _dir.Combine("vol");
        AtomicWriter.Write(vol, [new VolumeFile("labels", "a=\"b\""u8.ToArray(), 0b110_100_100), new VolumeFile("sub/name", "web"u8.ToArray(), 0b100_000_000)],
            new DateTimeOffset(2024, 5, 6, 7, 8, 9, TimeSpan.Zero));
        string data = new FileInfo(Path.Combine(vol, "..data")).LinkTarget!;
        Assert.StartsWith("..2024_05_06_07_08_09.", data);
        Assert.Equal("..data/labels", new FileInfo(Path.Combine(vol, "labels")).LinkTarget);
        Assert.Equal("..data/sub", new FileInfo(Path.Combine(vol, "sub")).LinkTarget);
        Assert.Equal("web", File.ReadAllText(Path.Combine(vol, "sub", "name")));
        Assert.Equal("400", Convert.ToString((int)File.GetUnixFileMode(Path.Combine(vol, data, "sub", "name")), 8));
        Assert.Equal("644", Convert.ToString((int)File.GetUnixFileMode(Path.Combine(vol, data, "labels")), 8));
        Assert.Throws<ArgumentException>(() => AtomicWriter.Write(vol, [new VolumeFile("../x", [], 0b110_100_100)], DateTimeOffset.UnixEpoch));
    }

    [Fact]
    public void DownwardApiFilesHoldTheFieldValues()
    {
        Pod pod = Load("""
              containers:
              - name: main
                image: busybox
                resources:
                  requests:
                    cpu: 250m
                    memory: 64Mi
                  limits:
                    memory: 128Mi
            """, """
              labels:
                zone: us-east
                app: shop
              annotations:
                build: "42"
            """);
        var items = new List<DownwardAPIVolumeFile>
        {
            new() { Path = "labels", FieldRef = new ObjectFieldSelector("v1", "metadata.labels") },
            new() { Path = "annotations", FieldRef = new ObjectFieldSelector("v1", "metadata.annotations") },
            new() { Path = "zone", FieldRef = new ObjectFieldSelector("v1", "metadata.labels['zone']") },
            new() { Path = "name", FieldRef = new ObjectFieldSelector("v1", "metadata.name") },
            new() { Path = "ns", FieldRef = new ObjectFieldSelector("v1", "metadata.namespace"), Mode = 0b100_000_000 },
            new() { Path = "uid", FieldRef = new ObjectFieldSelector("v1", "metadata.uid") },
            new() { Path = "cpu_request", ResourceFieldRef = new ResourceFieldSelector("main", "requests.cpu", Quantity.Parse("1m")) },
            new() { Path = "mem_limit", ResourceFieldRef = new ResourceFieldSelector("main", "limits.memory", Quantity.Parse("1Mi")) },
            new() { Path = "cpu_limit", ResourceFieldRef = new ResourceFieldSelector("main", "limits.cpu", Quantity.Parse("1")) },
        };
        var node = new NodeInfo("node-a", 8L << 30, 6);
        Dictionary<string, (string Content, int Mode)> files = DownwardApiVolume.Files(pod, items, 0b110_100_100, node.Downward())
            .ToDictionary(f => f.Path, f => (Encoding.UTF8.GetString(f.Content), f.Mode));
        Assert.Equal("app=\"shop\"\nzone=\"us-east\"", files["labels"].Content);
        Assert.Equal("build=\"42\"", files["annotations"].Content);
        Assert.Equal("us-east", files["zone"].Content);
        Assert.Equal("web", files["name"].Content);
        Assert.Equal(("shop", 0b100_000_000), files["ns"]);
        Assert.Equal("9d1c6c1e-2b8a-4a7c-9a50-5d2b8f0c7e11", files["uid"].Content);
        Assert.Equal("250", files["cpu_request"].Content);
        Assert.Equal("128", files["mem_limit"].Content);
        Assert.Equal("6", files["cpu_limit"].Content); // no limit: the node's allocatable
        Assert.Equal(0b110_100_100, files["labels"].Mode);
    }

    [Fact]
    public void NodeMemoryComesFromMeminfo()
    {
        string meminfo = _dir.Combine("meminfo");
        File.WriteAllText(meminfo, "MemTotal:       24684000 kB\nMemFree:         1000 kB\n");
        Assert.Equal(24684000L * 1024, NodeInfo.ReadMemTotal(meminfo));
    }

    // ---- hostPath types ----

    [Fact]
    public void HostPathTypeChecksHaveTheKubeletsMessages()
    {
        string dir = _dir.Combine("d");
        Directory.CreateDirectory(dir);
        string file = _dir.Combine("f");
        File.WriteAllText(file, "x");
        string missing = _dir.Combine("missing");

        HostPathVolume.Check("v", dir, "Directory");
        HostPathVolume.Check("v", file, "File");
        HostPathVolume.Check("v", missing, "");
        HostPathVolume.Check("v", "/dev/null", "CharDevice");
        Assert.Equal("MountVolume.SetUp failed for volume \"v\" : hostPath type check failed: " + file + " is not a directory",
            Assert.Throws<VolumeSetupException>(() => HostPathVolume.Check("v", file, "Directory")).Message);
        Assert.EndsWith($"hostPath type check failed: {missing} is not a directory",
            Assert.Throws<VolumeSetupException>(() => HostPathVolume.Check("v", missing, "Directory")).Message);
        Assert.EndsWith($"hostPath type check failed: {dir} is not a file",
            Assert.Throws<VolumeSetupException>(() => HostPathVolume.Check("v", dir, "File")).Message);
        Assert.EndsWith($"hostPath type check failed: {file} is not a socket file",
            Assert.Throws<VolumeSetupException>(() => HostPathVolume.Check("v", file, "Socket")).Message);
        Assert.EndsWith($"hostPath type check failed: {file} is not a character device",
            Assert.Throws<VolumeSetupException>(() => HostPathVolume.Check("v", file, "CharDevice")).Message);
        Assert.EndsWith("hostPath type check failed: /dev/null is not a block device",
            Assert.Throws<VolumeSetupException>(() => HostPathVolume.Check("v", "/dev/null", "BlockDevice")).Message);
        Assert.EndsWith($"hostPath type check failed: {file} is not a directory",
            Assert.Throws<VolumeSetupException>(() => HostPathVolume.Check("v", file, "DirectoryOrCreate")).Message);
    }

    [Fact]
    public void OrCreateTypesCreateWhatIsMissing()
    {
        string dir = _dir.Combine("a", "b", "c");
        HostPathVolume.Check("v", dir, "DirectoryOrCreate");
        Assert.True(Directory.Exists(dir));
        Assert.Equal("755", Convert.ToString((int)File.GetUnixFileMode(dir), 8));

        string file = _dir.Combine("new.conf");
        HostPathVolume.Check("v", file, "FileOrCreate");
        Assert.True(File.Exists(file));
        Assert.Equal(0, new FileInfo(file).Length);
        // FileOrCreate does not create the parent directory.
        Assert.Throws<VolumeSetupException>(() => HostPathVolume.Check("v", _dir.Combine("no-parent", "x.conf"), "FileOrCreate"));
        Assert.False(Directory.Exists(_dir.Combine("no-parent")));
    }

    [Fact]
    public void SocketTypeAcceptsAUnixSocketAndFollowsSymlinks()
    {
        string path = _dir.Combine("s.sock");
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path));
        HostPathVolume.Check("v", path, "Socket");
        string link = _dir.Combine("link.sock");
        File.CreateSymbolicLink(link, path);
        HostPathVolume.Check("v", link, "Socket");
    }

    // ---- subPath ----

    [Fact]
    public void SubPathFollowsSymlinksThatStayInsideTheVolume()
    {
        string vol = _dir.Combine("vol");
        Directory.CreateDirectory(Path.Combine(vol, "real", "logs"));
        File.CreateSymbolicLink(Path.Combine(vol, "current"), "real");
        File.CreateSymbolicLink(Path.Combine(vol, "abs"), Path.Combine(vol, "real"));
        Assert.Equal(Path.Combine(vol, "real", "logs"), SubPathMounts.Resolve(vol, "current/logs", "v"));
        Assert.Equal(Path.Combine(vol, "real", "logs"), SubPathMounts.Resolve(vol, "abs/logs", "v"));
        Assert.Equal(Path.Combine(vol, "real", "new", "dir"), SubPathMounts.Resolve(vol, "current/new/dir", "v"));
        using SafeFdHandle fd = SubPathMounts.Open(vol, "current/new/dir", "v");
        Assert.True(Directory.Exists(Path.Combine(vol, "real", "new", "dir")));
        Assert.True(BeneathDirectory.StatHandle(fd, "fd").IsDirectory);
    }

    [Theory]
    [InlineData("/")]
    [InlineData("../..")]
    [InlineData("OUTSIDE")]
    public void SubPathThatLeadsOutIsRefusedAndCreatesNothingOutside(string linkTarget)
    {
        string vol = _dir.Combine("vol");
        string outside = _dir.Combine("outside");
        Directory.CreateDirectory(vol);
        Directory.CreateDirectory(outside);
        File.CreateSymbolicLink(Path.Combine(vol, "escape"), linkTarget == "OUTSIDE" ? outside : linkTarget);
        var e = Assert.Throws<ContainerConfigException>(() => SubPathMounts.Open(vol, "escape/logs", "v").Dispose());
        Assert.Contains("outside the volume", e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(outside));
    }

    [Fact]
    public void SubPathOpenNeverEndsOutsideWhileAContainerSwapsADirectoryForASymlink()
    {
        // The attack of CVE-2017-1002101: a container flips "d" between a directory and a symlink to the host
        // while the runtime opens volume/d/target. Every open must end inside the volume or fail.
        string vol = _dir.Combine("vol");
        string outside = _dir.Combine("host");
        Directory.CreateDirectory(Path.Combine(outside, "target"));
        Directory.CreateDirectory(Path.Combine(vol, "d", "target"));
        ulong outsideInode = BeneathDirectory.StatPath(Path.Combine(outside, "target"), follow: false)!.Value.Inode;
        using var stop = new CancellationTokenSource();
        Exception? swapperFailed = null;
        void Swap()
        {
            using var volume = BeneathDirectory.Open(vol);
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    volume.Rename("d", "d.real");
                    volume.CreateSymlink("d", outside);
                    Thread.SpinWait(50);
                }
                catch (NativeException e) when (e.ErrorNumber == Errno.EEXIST)
                {
                    // The runtime created the missing "d" meanwhile (subPath directories are made when missing).
                }
                // Back to the real directory (a "d" the runtime made meanwhile goes).
                while (true)
                {
                    try
                    {
                        volume.Remove("d");
                        volume.Rename("d.real", "d");
                        Thread.SpinWait(50);
                        break;
                    }
                    catch (NativeException e) when (e.ErrorNumber is Errno.ENOTEMPTY or Errno.EEXIST or Errno.ENOENT)
                    {
                    }
                }
            }
        }
        var swapper = new Thread(() =>
        {
            try
            {
                Swap();
            }
            catch (Exception e)
            {
                swapperFailed = e;
            }
        })
        { IsBackground = true };
        swapper.Start();
        int opened = 0, refused = 0;
        string? lastRefusal = null;
        var clock = Stopwatch.StartNew();
        try
        {
            // Until both outcomes were seen many times (or 20 s): the race must really have been run.
            while ((opened < 100 || refused < 100) && clock.Elapsed < TimeSpan.FromSeconds(20))
            {
                try
                {
                    using SafeFdHandle fd = SubPathMounts.Open(vol, "d/target", "v");
                    Assert.NotEqual(outsideInode, BeneathDirectory.StatHandle(fd, "fd").Inode);
                    opened++;
                }
                catch (ContainerConfigException e)
                {
                    refused++;
                    lastRefusal = e.Message;
                }
                catch (NativeException e) when (e.ErrorNumber == Errno.ENOENT)
                {
                    refused++;
                    lastRefusal = e.Message;
                }
            }
        }
        finally
        {
            stop.Cancel();
            swapper.Join();
        }
        Assert.Null(swapperFailed);
        // Both outcomes happened: the race was real.
        Assert.True(opened > 0 && refused > 0, $"opened {opened}, refused {refused} (last: {lastRefusal})");
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(outside, "target")));
    }

    // ---- emptyDir usage and eviction ----

    [Fact]
    public void DiskUsageCountsBlocksOnceAndDoesNotFollowSymlinks()
    {
        string vol = _dir.Combine("vol");
        Directory.CreateDirectory(Path.Combine(vol, "sub"));
        byte[] mib = new byte[1 << 20];
        new Random(2).NextBytes(mib);
        File.WriteAllBytes(Path.Combine(vol, "sub", "a"), mib);
        File.CreateSymbolicLink(Path.Combine(vol, "big-elsewhere"), "/usr");
        long once = EmptyDirVolume.DiskUsage(vol);
        Assert.InRange(once, 1 << 20, (1 << 20) + (64 << 10));
        // A hard link adds no blocks.
        using (var dir = BeneathDirectory.Open(vol))
        using (var sub = dir.OpenDirectory("sub"))
            dir.CreateHardLink(sub, "a", "a-again");
        Assert.Equal(once, EmptyDirVolume.DiskUsage(vol));
    }

    [Fact]
    public void TheMonitorEvictsOnceAVolumeIsOverItsLimit()
    {
        Pod pod = Load("""
              containers:
              - name: c
                image: busybox
              volumes:
              - name: cache
                emptyDir:
                  sizeLimit: 512Ki
              - name: mem
                emptyDir:
                  medium: Memory
                  sizeLimit: 1Ki
              - name: free
                emptyDir: {}
            """);
        var paths = new StateLayout(_dir.Path).Pod("shop", "web");
        foreach (string v in new[] { "cache", "mem", "free" })
            Directory.CreateDirectory(paths.Volume(v));
        var evictions = new List<string>();
        var clock = new FakeTimeProvider();
        using var monitor = new EmptyDirMonitor(pod, paths, clock, evictions.Add);
        Assert.True(monitor.Active);

        File.WriteAllBytes(Path.Combine(paths.Volume("free"), "x"), new byte[2 << 20]);
        File.WriteAllBytes(Path.Combine(paths.Volume("cache"), "small"), new byte[100 << 10]);
        clock.Advance(EmptyDirMonitor.Period);
        Assert.Empty(evictions);

        byte[] big = new byte[600 << 10];
        new Random(3).NextBytes(big);
        File.WriteAllBytes(Path.Combine(paths.Volume("cache"), "big"), big);
        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Empty(evictions); // checked every 10 s, not sooner
        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(["Usage of EmptyDir volume \"cache\" exceeds the limit \"512Ki\". "], evictions);
        clock.Advance(EmptyDirMonitor.Period);
        Assert.Single(evictions);
    }

    [Fact]
    public void NoMonitorWithoutADiskSizeLimit()
    {
        Pod pod = Load("""
              containers:
              - name: c
                image: busybox
              volumes:
              - name: mem
                emptyDir:
                  medium: Memory
                  sizeLimit: 1Mi
            """);
        using var monitor = new EmptyDirMonitor(pod, new StateLayout(_dir.Path).Pod("shop", "web"), new FakeTimeProvider(), _ => { });
        Assert.False(monitor.Active);
    }
}
