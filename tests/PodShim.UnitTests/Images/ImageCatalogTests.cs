using System.Runtime.Versioning;
using PodShim.Runtime.Images;
using PodShim.Runtime.Images.Import;
using PodShim.Tests.Images;

namespace PodShim.UnitTests.Images;

/// <summary>image ls / inspect / rm over a root's own layout and a bundled one, with garbage collection.</summary>
[SupportedOSPlatform("linux")]
public sealed class ImageCatalogTests : IDisposable
{
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private string Own => _tmp.Sub("own");
    private string Bundled => _tmp.Sub("bundled");
    private ImageStore Store => new([Own, Bundled]);

    private static ArchiveBuilder.Image Image(string marker) =>
        new ArchiveBuilder.Image().Layer(gzip: false, TarSpec.File("shared", "same in every image")).Layer(gzip: true, TarSpec.File("marker", marker));

    private void ImportInto(string layout, ArchiveBuilder.Image image, string name)
    {
        string file = _tmp.Sub($"{Guid.NewGuid():N}.tar");
        File.WriteAllBytes(file, ArchiveBuilder.TarOf(ArchiveBuilder.OciLayoutFiles((image, null))));
        ImageImporter.Import(layout, file, new ImportOptions { Name = name });
    }

    [Fact]
    public void ListShowsBothLayoutsAndTheRootShadowsTheBundledTag()
    {
        ImportInto(Bundled, Image("bundled"), "busybox:latest");
        ImportInto(Bundled, Image("bundled"), "busybox:1.28");
        ImportInto(Own, Image("mine"), "busybox:latest");
        ImportInto(Own, Image("app"), "localhost/app:1");

        IReadOnlyList<ImageSummary> list = ImageCatalog.List(Store);
        Assert.Equal(["docker.io/library/busybox:1.28", "docker.io/library/busybox:latest", "localhost/app:1"], list.Select(i => i.Reference));
        ImageSummary latest = list.Single(i => i.Tag == "latest");
        Assert.False(latest.Bundled);
        Assert.Equal(Own, latest.LayoutRoot);
        Assert.True(list.Single(i => i.Tag == "1.28").Bundled);
        Assert.Equal("docker.io/library/busybox", latest.Repository);
        Assert.StartsWith("sha256:", latest.ImageId);
        Assert.True(latest.Size > 0);
    }

    [Fact]
    public void InspectGivesTagsDigestsAndLayers()
    {
        ImportInto(Own, Image("x"), "localhost/x:1");
        ImportInto(Own, Image("x"), "localhost/x:also");
        ImageDetails d = ImageCatalog.Inspect(Store, "localhost/x:1");
        Assert.Equal(["localhost/x:1", "localhost/x:also"], d.Tags);
        Assert.Equal(2, d.Layers.Count);
        Assert.All(d.Layers, l => Assert.True(Directory.Exists(l.Directory)));
        Assert.Equal(d.Layers.Sum(l => l.Size), d.Size);
        Assert.Equal("amd64", d.Architecture);
        Assert.Contains("\"Cmd\"", d.ConfigJson);
        Assert.Throws<ImageNotFoundException>(() => ImageCatalog.Inspect(Store, "localhost/nope:1"));
    }

    [Fact]
    public void RemoveUntagsAndFreesWhatNoTagNeeds()
    {
        ImportInto(Own, Image("a"), "localhost/a:1");
        ImportInto(Own, Image("b"), "localhost/b:1");
        string layers = Path.Combine(Own, "layers", "sha256");
        Assert.Equal(3, Directory.GetDirectories(layers).Length); // the shared layer once

        RemoveResult r = ImageCatalog.Remove(Store, ["localhost/a:1"], _tmp.Sub("no-proc"));
        Assert.Equal(["localhost/a:1"], r.Untagged);
        Assert.Equal(1, r.LayersRemoved);
        Assert.Equal(3, r.BlobsRemoved); // a's marker layer, config and manifest
        Assert.Equal(2, Directory.GetDirectories(layers).Length);
        Assert.Throws<ImageNotFoundException>(() => Store.Resolve("localhost/a:1"));
        Assert.NotNull(Store.Resolve("localhost/b:1")); // the shared layer is still there
    }

    [Fact]
    public void RemoveByImageIdPrefixRemovesAllItsTags()
    {
        ImportInto(Own, Image("a"), "localhost/a:1");
        ImportInto(Own, Image("a"), "localhost/a:2");
        string id = ImageCatalog.Inspect(Store, "localhost/a:1").ImageId;
        RemoveResult r = ImageCatalog.Remove(Store, [id[7..19]], _tmp.Sub("no-proc"));
        Assert.Equal(["localhost/a:1", "localhost/a:2"], r.Untagged.Order());
        Assert.Empty(Directory.GetDirectories(Path.Combine(Own, "layers", "sha256")));
    }

    [Fact]
    public void BundledImagesCannotBeRemoved()
    {
        ImportInto(Bundled, Image("b"), "busybox:latest");
        var e = Assert.Throws<InvalidOperationException>(() => ImageCatalog.Remove(Store, ["busybox"], _tmp.Sub("no-proc")));
        Assert.Contains("bundled", e.Message);
        Assert.Throws<ImageNotFoundException>(() => ImageCatalog.Remove(Store, ["nothing:here"], _tmp.Sub("no-proc")));
        Assert.NotNull(Store.Resolve("busybox"));
    }

    [Fact]
    public void ALayerARunningContainerUsesIsKept()
    {
        ImportInto(Own, Image("busy"), "localhost/busy:1");
        ResolvedImage image = Store.Resolve("localhost/busy:1");
        // A process whose mount namespace has an overlay over the image's layers (containers mount in their own namespace).
        string proc = _tmp.Sub("proc");
        string pid = Path.Combine(proc, "4242");
        Directory.CreateDirectory(Path.Combine(pid, "ns"));
        File.CreateSymbolicLink(Path.Combine(pid, "ns", "mnt"), "mnt:[4026531841]");
        File.WriteAllText(Path.Combine(pid, "mountinfo"),
            "22 1 0:21 / / rw,relatime - ext4 /dev/vda rw\n" +
            $"812 790 0:99 / / rw,relatime - overlay overlay rw,lowerdir={image.LayerDirs[1]}:{image.LayerDirs[0]},upperdir=/x/upper,workdir=/x/work\n");

        RemoveResult r = ImageCatalog.Remove(Store, ["localhost/busy:1"], proc);
        Assert.Equal(0, r.LayersRemoved);
        Assert.Equal(2, r.LayersKeptInUse.Count);
        Assert.All(image.LayerDirs, d => Assert.True(Directory.Exists(d)));

        // Once nothing uses them, the next removal frees them.
        File.Delete(Path.Combine(pid, "mountinfo"));
        ImportInto(Own, Image("other"), "localhost/other:1");
        r = ImageCatalog.Remove(Store, ["localhost/other:1"], proc);
        Assert.Equal(3, r.LayersRemoved);
        Assert.Empty(Directory.GetDirectories(Path.Combine(Own, "layers", "sha256")));
    }

    [Fact]
    public void AnImportInProgressIsNotCollected()
    {
        ImportInto(Own, Image("a"), "localhost/a:1");
        string tmpBlob = Path.Combine(Own, "blobs", "sha256", ".tmp-inprogress");
        File.WriteAllText(tmpBlob, "partial");
        string tmpLayer = Path.Combine(Own, "layers", "sha256", "unpack.tmp-inprogress");
        Directory.CreateDirectory(tmpLayer);
        ImageCatalog.Remove(Store, ["localhost/a:1"], _tmp.Sub("no-proc"));
        Assert.True(File.Exists(tmpBlob));
        Assert.True(Directory.Exists(tmpLayer));
    }
}
