using System.Runtime.Versioning;
using System.Text;
using PodShim.Interop;
using PodShim.Runtime.Images;
using PodShim.Runtime.Images.Import;
using PodShim.Tests.Images;

namespace PodShim.UnitTests.Images;

/// <summary>Every import format, built in the test, and what a damaged or hostile input does to the store (nothing).</summary>
[SupportedOSPlatform("linux")]
public sealed class ImageImporterTests : IDisposable
{
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private string Store => _tmp.Sub("store");

    /// <summary>Two layers: the second whites out /etc/motd and makes /data opaque.</summary>
    private static ArchiveBuilder.Image TwoLayers() => new ArchiveBuilder.Image { ConfigSection = "{\"Env\":[\"A=1\"],\"Cmd\":[\"sh\"],\"WorkingDir\":\"/data\"}" }
        .Layer(gzip: true, TarSpec.Dir("etc/"), TarSpec.File("etc/motd", "hello"), TarSpec.Dir("data/"), TarSpec.File("data/old", "1"), TarSpec.File("bin/sh", "#!", 0b111_101_101))
        .Layer(gzip: false, TarSpec.File("etc/.wh.motd", ""), TarSpec.Dir("data/"), TarSpec.File("data/.wh..wh..opq", ""), TarSpec.File("data/new", "2"));

    private string WriteFile(string name, byte[] data)
    {
        string path = _tmp.Sub(name);
        File.WriteAllBytes(path, data);
        return path;
    }

    private IReadOnlyList<ImportedImage> Import(string source, string? name = null, ImportFormat format = ImportFormat.Auto) =>
        ImageImporter.Import(Store, source, new ImportOptions { Name = name, Format = format });

    private void AssertStoreHasNoLeftovers()
    {
        if (!Directory.Exists(Store))
            return;
        Assert.Empty(Directory.GetDirectories(Store, ".staging-*"));
        if (Directory.Exists(Path.Combine(Store, "blobs", "sha256")))
            Assert.Empty(Directory.GetFiles(Path.Combine(Store, "blobs", "sha256"), ".tmp-*"));
        if (Directory.Exists(Path.Combine(Store, "layers", "sha256")))
            Assert.Empty(Directory.GetDirectories(Path.Combine(Store, "layers", "sha256"), "*.tmp-*"));
    }

    private void AssertTwoLayerImage(string reference)
    {
        ResolvedImage image = new ImageStore([Store]).Resolve(reference);
        Assert.Equal(2, image.LayerDirs.Count);
        Assert.Equal("hello", File.ReadAllText(Path.Combine(image.LayerDirs[0], "etc", "motd")));
        Assert.True(BeneathDirectory.StatPath(Path.Combine(image.LayerDirs[1], "etc", "motd"), follow: false)!.Value.IsWhiteout);
        Assert.Equal("2", File.ReadAllText(Path.Combine(image.LayerDirs[1], "data", "new")));
        Assert.Equal(["A=1"], image.Config.Env);
        Assert.Equal("/data", image.Config.WorkingDir);
        AssertStoreHasNoLeftovers();
    }

    [Fact]
    public void OciArchiveWithAFullReference()
    {
        byte[] archive = ArchiveBuilder.TarOf(ArchiveBuilder.OciLayoutFiles((TwoLayers(), ArchiveBuilder.RefName("localhost/two:1"))));
        ImportedImage imported = Assert.Single(Import(WriteFile("two.tar", archive)));
        Assert.Equal(["localhost/two:1"], imported.References);
        Assert.Equal(2, imported.LayerCount);
        AssertTwoLayerImage("localhost/two:1");
    }

    [Fact]
    public void AGzippedOciArchive()
    {
        byte[] archive = ArchiveBuilder.Gzip(ArchiveBuilder.TarOf(ArchiveBuilder.OciLayoutFiles((TwoLayers(), ArchiveBuilder.RefName("docker.io/library/two:gz")))));
        Import(WriteFile("two.tar.gz", archive));
        AssertTwoLayerImage("two:gz");
    }

    [Fact]
    public void OciArchiveNamedOnlyByATagNeedsAName()
    {
        string file = WriteFile("t.tar", ArchiveBuilder.TarOf(ArchiveBuilder.OciLayoutFiles((TwoLayers(), ArchiveBuilder.RefName("latest")))));
        var e = Assert.Throws<ImageImportException>(() => Import(file));
        Assert.Contains("only by the tag \"latest\"", e.Message);
        Assert.Contains("--name", e.Message);
        Assert.Equal(["docker.io/library/mine:7"], Assert.Single(Import(file, "mine:7")).References);
        AssertTwoLayerImage("mine:7");
    }

    [Fact]
    public void ContainerdNameAnnotationIsPreferred()
    {
        string annotations = ArchiveBuilder.RefName("1.0") + ",\"io.containerd.image.name\":\"docker.io/library/app:1.0\"";
        string file = WriteFile("d.tar", ArchiveBuilder.TarOf(ArchiveBuilder.OciLayoutFiles((TwoLayers(), annotations))));
        Assert.Equal(["docker.io/library/app:1.0"], Assert.Single(Import(file)).References);
    }

    [Fact]
    public void DockerArchive()
    {
        string file = WriteFile("docker.tar", ArchiveBuilder.TarOf(ArchiveBuilder.DockerArchiveFiles(TwoLayers(), "localhost/dock:2", "dock:latest")));
        Assert.Equal(ImportFormat.DockerArchive, ImageImporter.Detect(file));
        ImportedImage imported = Assert.Single(Import(file));
        Assert.Equal(["localhost/dock:2", "docker.io/library/dock:latest"], imported.References);
        AssertTwoLayerImage("localhost/dock:2");
        AssertTwoLayerImage("dock");
    }

    [Fact]
    public void DockerArchiveWithoutTagsNeedsAName()
    {
        string file = WriteFile("docker.tar", ArchiveBuilder.TarOf(ArchiveBuilder.DockerArchiveFiles(TwoLayers())));
        Assert.Throws<ImageImportException>(() => Import(file));
        Import(file, "named:1");
        AssertTwoLayerImage("named:1");
    }

    [Fact]
    public void OciLayoutDirectory()
    {
        string dir = _tmp.Sub("layout");
        ArchiveBuilder.WriteDirectory(dir, ArchiveBuilder.OciLayoutFiles((TwoLayers(), ArchiveBuilder.RefName("localhost/dir:3"))));
        Import(dir);
        AssertTwoLayerImage("localhost/dir:3");
    }

    [Fact]
    public void RootfsTarballNeedsANameAndGetsTheDefaultPath()
    {
        byte[] rootfs = ArchiveBuilder.Gzip(ArchiveBuilder.Tar(TarSpec.Dir("bin/"), TarSpec.File("bin/sh", "#!", 0b111_101_101), TarSpec.Dir("etc/"), TarSpec.File("etc/os-release", "ID=test\n")));
        string file = WriteFile("rootfs.tar.gz", rootfs);
        Assert.Equal(ImportFormat.Rootfs, ImageImporter.Detect(file));
        var e = Assert.Throws<ImageImportException>(() => Import(file));
        Assert.Contains("--name", e.Message);
        ImportedImage imported = Assert.Single(Import(file, "localhost/rootfs:1"));
        Assert.Equal(1, imported.LayerCount);
        Assert.Equal(rootfs.Length, imported.Size);
        ResolvedImage image = new ImageStore([Store]).Resolve("localhost/rootfs:1");
        Assert.Equal("ID=test\n", File.ReadAllText(Path.Combine(image.LayerDirs[0], "etc", "os-release")));
        Assert.Equal([Runtime.Containers.ContainerPlanner.DefaultPath], image.Config.Env);
        Assert.Empty(image.Config.Cmd);
        // The layer blob is the tarball as given (gzip), named by its digest.
        Assert.True(File.Exists(Path.Combine(Store, "blobs", "sha256", ArchiveBuilder.Digest(rootfs)[7..])));
        AssertStoreHasNoLeftovers();
    }

    [Fact]
    public void RootfsDirectory()
    {
        string dir = _tmp.Sub("tree");
        Directory.CreateDirectory(Path.Combine(dir, "etc"));
        File.WriteAllText(Path.Combine(dir, "etc", "hostname"), "x");
        Assert.Throws<ImageImportException>(() => Import(dir));
        Import(dir, "tree:1");
        Assert.Equal("x", File.ReadAllText(Path.Combine(new ImageStore([Store]).Resolve("tree:1").LayerDirs[0], "etc", "hostname")));
    }

    [Fact]
    public void ACorruptBlobFailsTheImportAndLeavesTheStoreAsItWas()
    {
        var files = ArchiveBuilder.OciLayoutFiles((TwoLayers(), ArchiveBuilder.RefName("localhost/bad:1")));
        // Flip one byte of the plain (second) layer: same size, wrong digest.
        string layer = files.Keys.First(k => k.StartsWith("blobs/", StringComparison.Ordinal) && files[k].Length > 1024 && files[k][0] != 0x1f);
        byte[] damaged = (byte[])files[layer].Clone();
        damaged[600] ^= 0xff;
        files[layer] = damaged;
        var e = Assert.Throws<InvalidDataException>(() => Import(WriteFile("bad.tar", ArchiveBuilder.TarOf(files))));
        Assert.Contains("corrupt", e.Message);
        Assert.Empty(OciIndexFileEntries());
        AssertStoreHasNoLeftovers();
    }

    [Fact]
    public void ALayerThatDoesNotMatchItsDiffIdFailsTheImport()
    {
        ArchiveBuilder.Image image = TwoLayers();
        // Consistent digests, but the config lists a different diff_id for the second layer.
        var swapped = new ArchiveBuilder.Image { ConfigSection = image.ConfigSection };
        swapped.Layers.Add(image.Layers[0]);
        byte[] otherTar = ArchiveBuilder.Tar(TarSpec.File("x", "other"));
        swapped.Layers.Add((image.Layers[1].Blob, otherTar, false));
        var e = Assert.Throws<InvalidDataException>(() => Import(WriteFile("x.tar", ArchiveBuilder.TarOf(ArchiveBuilder.OciLayoutFiles((swapped, ArchiveBuilder.RefName("localhost/x:1")))))));
        Assert.Contains("diff_id", e.Message);
        Assert.Empty(OciIndexFileEntries());
        AssertStoreHasNoLeftovers();
    }

    [Fact]
    public void AnArchiveMemberThatClimbsOutIsRefused()
    {
        var files = ArchiveBuilder.OciLayoutFiles((TwoLayers(), ArchiveBuilder.RefName("localhost/x:1")));
        files["../../escaped"] = "x"u8.ToArray();
        string file = WriteFile("evil.tar", ArchiveBuilder.TarOf(files));
        Assert.ThrowsAny<Exception>(() => Import(file, format: ImportFormat.OciArchive));
        Assert.False(File.Exists(_tmp.Sub("escaped")));
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(_tmp.Path)!, "escaped")));
        AssertStoreHasNoLeftovers();
    }

    [Fact]
    public void AMaliciousLayerInAnArchiveIsRefusedAndNothingLandsOutside()
    {
        string outside = _tmp.Sub("host");
        Directory.CreateDirectory(outside);
        var image = new ArchiveBuilder.Image().Layer(gzip: true, TarSpec.Symlink("x", outside), TarSpec.File("x/planted", "pwned"));
        string file = WriteFile("evil.tar", ArchiveBuilder.TarOf(ArchiveBuilder.OciLayoutFiles((image, ArchiveBuilder.RefName("localhost/evil:1")))));
        Assert.Throws<InvalidDataException>(() => Import(file));
        Assert.Empty(Directory.GetFileSystemEntries(outside));
        Assert.Empty(OciIndexFileEntries());
        AssertStoreHasNoLeftovers();
    }

    [Fact]
    public void AMultiPlatformIndexImportsTheHostsVariant()
    {
        ArchiveBuilder.Image amd = TwoLayers();
        ArchiveBuilder.Image arm = new ArchiveBuilder.Image { Architecture = "arm64" }.Layer(false, TarSpec.File("arm", "1"));
        var files = ArchiveBuilder.OciLayoutFiles((amd, null), (arm, null));
        byte[] amdManifest = FindManifest(files, amd), armManifest = FindManifest(files, arm);
        byte[] nested = Encoding.UTF8.GetBytes("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[" +
            $"{{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"{ArchiveBuilder.Digest(armManifest)}\",\"size\":{armManifest.Length},\"platform\":{{\"os\":\"linux\",\"architecture\":\"arm64\"}}}}," +
            $"{{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"{ArchiveBuilder.Digest(amdManifest)}\",\"size\":{amdManifest.Length},\"platform\":{{\"os\":\"linux\",\"architecture\":\"amd64\"}}}}]}}");
        files["blobs/sha256/" + ArchiveBuilder.Digest(nested)[7..]] = nested;
        files["index.json"] = Encoding.UTF8.GetBytes("{\"schemaVersion\":2,\"manifests\":[" +
            $"{{\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"digest\":\"{ArchiveBuilder.Digest(nested)}\",\"size\":{nested.Length},\"annotations\":{{{ArchiveBuilder.RefName("localhost/multi:1")}}}}}]}}");
        ImportedImage imported = Assert.Single(Import(WriteFile("multi.tar", ArchiveBuilder.TarOf(files))));
        Assert.Equal(ArchiveBuilder.Digest(amdManifest), imported.ManifestDigest);
        AssertTwoLayerImage("localhost/multi:1");
    }

    private static byte[] FindManifest(Dictionary<string, byte[]> files, ArchiveBuilder.Image image)
    {
        byte[] config = image.ConfigJson();
        return image.ManifestJson(config);
    }

    [Fact]
    public void AnImageForAnotherArchitectureIsRefused()
    {
        var image = new ArchiveBuilder.Image { Architecture = "s390x" }.Layer(false, TarSpec.File("f", "1"));
        var e = Assert.Throws<ImageImportException>(() => Import(WriteFile("s.tar", ArchiveBuilder.TarOf(ArchiveBuilder.OciLayoutFiles((image, ArchiveBuilder.RefName("localhost/s:1")))))));
        Assert.Contains("s390x", e.Message);
    }

    [Fact]
    public void ImportingTwiceSharesEverything()
    {
        string file = WriteFile("two.tar", ArchiveBuilder.TarOf(ArchiveBuilder.OciLayoutFiles((TwoLayers(), ArchiveBuilder.RefName("localhost/two:1")))));
        Import(file);
        string[] blobs = Directory.GetFiles(Path.Combine(Store, "blobs", "sha256")).Order().ToArray();
        string[] layers = Directory.GetDirectories(Path.Combine(Store, "layers", "sha256")).Order().ToArray();
        Import(file, "localhost/two:again");
        Assert.Equal(blobs, Directory.GetFiles(Path.Combine(Store, "blobs", "sha256")).Order().ToArray());
        Assert.Equal(layers, Directory.GetDirectories(Path.Combine(Store, "layers", "sha256")).Order().ToArray());
        Assert.Equal(2, OciIndexFileEntries().Count);
    }

    [Fact]
    public void NameMustBeAValidTaggedReference()
    {
        string file = WriteFile("two.tar", ArchiveBuilder.TarOf(ArchiveBuilder.OciLayoutFiles((TwoLayers(), null))));
        Assert.Contains("--name", Assert.Throws<ImageImportException>(() => Import(file, "Bad Name")).Message);
        Assert.Contains("digest", Assert.Throws<ImageImportException>(() => Import(file, "x@sha256:" + new string('a', 64))).Message);
    }

    [Fact]
    public void NotAnArchive()
    {
        string file = WriteFile("junk.bin", Encoding.ASCII.GetBytes(new string('j', 4096)));
        Assert.Throws<ImageImportException>(() => Import(file));
        Assert.Throws<ImageImportException>(() => Import(_tmp.Sub("missing.tar")));
        string xz = WriteFile("r.tar.xz", [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0, 0]);
        Assert.Contains("xz", Assert.Throws<ImageImportException>(() => Import(xz, "x:1")).Message);
    }

    [Fact]
    public void ProgressIsReportedUpToTheTotal()
    {
        // 2 MiB of incompressible content so the meter reports more than once.
        var random = new Random(1);
        byte[] big = new byte[2 << 20];
        random.NextBytes(big);
        string file = WriteFile("big.tar", ArchiveBuilder.Tar(new TarSpec("big.bin", System.Formats.Tar.TarEntryType.RegularFile, Convert.ToBase64String(big))));
        var reports = new List<ImportProgress>();
        ImageImporter.Import(Store, file, new ImportOptions { Name = "big:1", Progress = reports.Add });
        Assert.NotEmpty(reports);
        Assert.All(reports, r => Assert.InRange(r.Done, 0, r.Total));
        Assert.Contains(reports, r => r.Done == r.Total && r.Phase.StartsWith("unpacking", StringComparison.Ordinal));
    }

    private IReadOnlyList<IndexEntry> OciIndexFileEntries() => OciIndexFile.Read(Store);
}
