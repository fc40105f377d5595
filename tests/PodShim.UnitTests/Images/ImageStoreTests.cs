using System.Runtime.Versioning;
using System.Text;
using System.Text.Json;
using PodShim.Runtime.Images;

namespace PodShim.UnitTests.Images;

[SupportedOSPlatform("linux")]
public sealed class ImageStoreTests : IDisposable
{
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private static readonly ImageConfig FullConfig = new(
        Entrypoint: ["/bin/app", "--serve"],
        Cmd: ["--port", "80"],
        Env: ["PATH=/usr/bin:/bin", "GREETING=hello world"],
        WorkingDir: "/srv",
        User: "1000:1000",
        StopSignal: "SIGQUIT",
        ExposedPorts: ["80/tcp", "53/udp"]);

    /// <summary>A small tree: dirs, files with various modes, a symlink, a hard link.</summary>
    private string MakeSourceTree(string name = "src", string content = "hello\n")
    {
        string src = _tmp.Sub(name);
        Directory.CreateDirectory(Path.Combine(src, "bin"));
        Directory.CreateDirectory(Path.Combine(src, "etc"));
        Directory.CreateDirectory(Path.Combine(src, "private"));
        Directory.CreateDirectory(Path.Combine(src, "tmp"));
        File.WriteAllText(Path.Combine(src, "bin", "app"), "#!/bin/sh\necho " + content);
        File.SetUnixFileMode(Path.Combine(src, "bin", "app"), (UnixFileMode)0b111_101_000); // 0750
        File.WriteAllText(Path.Combine(src, "bin", "suid"), "x");
        File.SetUnixFileMode(Path.Combine(src, "bin", "suid"), (UnixFileMode)0x9ED); // 04755
        File.WriteAllText(Path.Combine(src, "etc", "message"), content);
        File.SetUnixFileMode(Path.Combine(src, "etc", "message"), (UnixFileMode)0b110_100_000); // 0640
        File.CreateSymbolicLink(Path.Combine(src, "bin", "sh"), "app");
        File.CreateSymbolicLink(Path.Combine(src, "etc", "abs-link"), "/etc/message");
        ImageLibc.Link(Path.Combine(src, "etc", "message"), Path.Combine(src, "etc", "message-hardlink"));
        File.SetUnixFileMode(Path.Combine(src, "private"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.SetUnixFileMode(Path.Combine(src, "tmp"), (UnixFileMode)0x3FF); // 1777
        return src;
    }

    private static string Mode(string path) => Convert.ToString((int)File.GetUnixFileMode(path), 8);

    [Fact]
    public void RoundTripsAnImage()
    {
        string layout = _tmp.Sub("layout");
        string src = MakeSourceTree();
        if (Environment.IsPrivilegedProcess)
            ImageLibc.Lchown(Path.Combine(src, "etc", "message"), 1234, 5678);

        ResolvedImage written = OciImageWriter.WriteFromDirectory(layout, "example.com/team/app:v1", src, FullConfig);
        Assert.Equal("example.com/team/app:v1", written.Reference);
        Assert.StartsWith("sha256:", written.ManifestDigest);

        var store = new ImageStore([layout]);
        ResolvedImage resolved = store.Resolve("example.com/team/app:v1");
        Assert.Equal(written.ManifestDigest, resolved.ManifestDigest);
        Assert.Equal(written.LayerDirs, resolved.LayerDirs);
        Assert.Equal("example.com/team/app:v1", resolved.Reference);

        ImageConfig c = resolved.Config;
        Assert.Equal(FullConfig.Entrypoint, c.Entrypoint);
        Assert.Equal(FullConfig.Cmd, c.Cmd);
        Assert.Equal(FullConfig.Env, c.Env);
        Assert.Equal("/srv", c.WorkingDir);
        Assert.Equal("1000:1000", c.User);
        Assert.Equal("SIGQUIT", c.StopSignal);
        Assert.Equal(["53/udp", "80/tcp"], c.ExposedPorts);

        string layer = Assert.Single(resolved.LayerDirs);
        Assert.Equal(Path.Combine(layout, "layers", "sha256"), Path.GetDirectoryName(layer));
        Assert.Equal("#!/bin/sh\necho hello\n", File.ReadAllText(Path.Combine(layer, "bin", "app")));
        Assert.Equal("750", Mode(Path.Combine(layer, "bin", "app")));
        Assert.Equal("4755", Mode(Path.Combine(layer, "bin", "suid")));
        Assert.Equal("640", Mode(Path.Combine(layer, "etc", "message")));
        Assert.Equal("700", Mode(Path.Combine(layer, "private")));
        Assert.Equal("1777", Mode(Path.Combine(layer, "tmp")));
        Assert.Equal("app", new FileInfo(Path.Combine(layer, "bin", "sh")).LinkTarget);
        Assert.Equal("/etc/message", new FileInfo(Path.Combine(layer, "etc", "abs-link")).LinkTarget);
        var msg = ImageLibc.Lstat(Path.Combine(layer, "etc", "message"));
        var hard = ImageLibc.Lstat(Path.Combine(layer, "etc", "message-hardlink"));
        Assert.Equal(msg.Ino, hard.Ino);
        Assert.Equal(2u, msg.NLink);
        if (Environment.IsPrivilegedProcess)
        {
            Assert.Equal((1234u, 5678u), (msg.Uid, msg.Gid));
            var app = ImageLibc.Lstat(Path.Combine(layer, "bin", "app"));
            Assert.Equal((0u, 0u), (app.Uid, app.Gid));
        }

        // The layer directory is named by the diff_id from the config.
        using JsonDocument index = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(layout, "index.json")));
        Assert.True(File.Exists(Path.Combine(layout, "oci-layout")));
        JsonElement entry = Assert.Single(index.RootElement.GetProperty("manifests").EnumerateArray());
        Assert.Equal("application/vnd.oci.image.manifest.v1+json", entry.GetProperty("mediaType").GetString());
        Assert.Equal("example.com/team/app:v1", entry.GetProperty("annotations").GetProperty("org.opencontainers.image.ref.name").GetString());
    }

    [Fact]
    public void LayersAreDeterministicAndShared()
    {
        string layout = _tmp.Sub("layout");
        string src = MakeSourceTree();
        var a = OciImageWriter.WriteFromDirectory(layout, "a", src, ImageConfig.Empty);
        var b = OciImageWriter.WriteFromDirectory(layout, "b:2", src, ImageConfig.Empty);
        Assert.Equal(a.ManifestDigest, b.ManifestDigest);
        Assert.Equal(a.LayerDirs, b.LayerDirs);
        Assert.Single(Directory.GetDirectories(Path.Combine(layout, "layers", "sha256")));
        var store = new ImageStore([layout]);
        Assert.Equal(a.ManifestDigest, store.Resolve("docker.io/library/a:latest").ManifestDigest);
        Assert.Equal(a.ManifestDigest, store.Resolve("b:2").ManifestDigest);
        Assert.Empty(Directory.GetFiles(Path.Combine(layout, "blobs", "sha256"), ".tmp*"));
        Assert.Empty(Directory.GetDirectories(Path.Combine(layout, "layers", "sha256"), "*.tmp*"));
    }

    [Fact]
    public void EmptyConfigReadsBackAsEmpty()
    {
        string layout = _tmp.Sub("layout");
        OciImageWriter.WriteFromDirectory(layout, "empty", MakeSourceTree(), ImageConfig.Empty);
        ImageConfig c = new ImageStore([layout]).Resolve("empty").Config;
        Assert.Empty(c.Entrypoint);
        Assert.Empty(c.Cmd);
        Assert.Empty(c.Env);
        Assert.Equal("", c.WorkingDir);
        Assert.Equal("", c.User);
        Assert.Null(c.StopSignal);
        Assert.Empty(c.ExposedPorts);
    }

    [Fact]
    public void ReplacingATagKeepsOtherTags()
    {
        string layout = _tmp.Sub("layout");
        var v1 = OciImageWriter.WriteFromDirectory(layout, "app:v1", MakeSourceTree("one", "one"), ImageConfig.Empty);
        OciImageWriter.WriteFromDirectory(layout, "app:latest", MakeSourceTree("one-again", "one"), ImageConfig.Empty);
        var v2 = OciImageWriter.WriteFromDirectory(layout, "app:latest", MakeSourceTree("two", "two"), ImageConfig.Empty);
        Assert.NotEqual(v1.ManifestDigest, v2.ManifestDigest);

        var store = new ImageStore([layout]);
        Assert.Equal(v1.ManifestDigest, store.Resolve("app:v1").ManifestDigest);
        ResolvedImage latest = store.Resolve("app");
        Assert.Equal(v2.ManifestDigest, latest.ManifestDigest);
        Assert.Equal("echo two", File.ReadAllLines(Path.Combine(latest.LayerDirs[0], "bin", "app"))[1]);

        using JsonDocument index = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(layout, "index.json")));
        var names = index.RootElement.GetProperty("manifests").EnumerateArray()
            .Select(e => e.GetProperty("annotations").GetProperty("org.opencontainers.image.ref.name").GetString()!)
            .Order().ToArray();
        Assert.Equal(["docker.io/library/app:latest", "docker.io/library/app:v1"], names);
    }

    [Fact]
    public void ResolvesByDigest()
    {
        string layout = _tmp.Sub("layout");
        var img = OciImageWriter.WriteFromDirectory(layout, "localhost:5000/x:y", MakeSourceTree(), ImageConfig.Empty);
        var store = new ImageStore([layout]);
        Assert.Equal(img.LayerDirs, store.Resolve("localhost:5000/x@" + img.ManifestDigest).LayerDirs);
        Assert.Equal(img.LayerDirs, store.Resolve("localhost:5000/x:y@" + img.ManifestDigest).LayerDirs);
        // The digest must be tagged for that repository.
        Assert.Throws<ImageNotFoundException>(() => store.Resolve("localhost:5000/other@" + img.ManifestDigest));
    }

    [Fact]
    public void NotFoundSaysHowToImport()
    {
        string layout = _tmp.Sub("layout");
        OciImageWriter.WriteFromDirectory(layout, "app", MakeSourceTree(), ImageConfig.Empty);
        var store = new ImageStore([layout, _tmp.Sub("does-not-exist")]);
        var e = Assert.Throws<ImageNotFoundException>(() => store.Resolve("foo"));
        Assert.StartsWith("image \"docker.io/library/foo:latest\" is not in the image store (podshim has no registry access); import it with `podshim image import FILE`", e.Message);
        Assert.Equal("docker.io/library/foo:latest", e.Reference);
        Assert.Throws<ImageNotFoundException>(() => store.Resolve("app:other"));
        Assert.False(store.Contains("foo"));
        Assert.True(store.Contains("app"));
        Assert.Throws<FormatException>(() => store.Resolve("Not Valid"));
    }

    [Fact]
    public void ForRootSearchesTheRootThenTheBundledImages()
    {
        var store = ImageStore.ForRoot(_tmp.Sub("root"));
        Assert.Equal(_tmp.Sub("root", "images"), store.LayoutRoots[0]);
        string? bundled = ImageStore.FindBundledImages();
        if (bundled is null)
            Assert.Single(store.LayoutRoots);
        else
            Assert.Equal([_tmp.Sub("root", "images"), bundled], store.LayoutRoots);
    }

    [Fact]
    public void RootsAreSearchedInOrder()
    {
        string first = _tmp.Sub("first");
        string second = _tmp.Sub("second");
        var inFirst = OciImageWriter.WriteFromDirectory(first, "app", MakeSourceTree("a", "first"), ImageConfig.Empty);
        OciImageWriter.WriteFromDirectory(second, "app", MakeSourceTree("b", "second"), ImageConfig.Empty);
        var onlySecond = OciImageWriter.WriteFromDirectory(second, "other", MakeSourceTree("c", "other"), ImageConfig.Empty);

        var store = new ImageStore([first, second]);
        Assert.Equal(inFirst.ManifestDigest, store.Resolve("app").ManifestDigest);
        ResolvedImage other = store.Resolve("other");
        Assert.Equal(onlySecond.ManifestDigest, other.ManifestDigest);
        Assert.StartsWith(second, other.LayerDirs[0]);
    }

    [Fact]
    public void ImageWithSymlinkedProcIsStoredAsIs()
    {
        // The runtime refuses such a rootfs at mount time; the store keeps it faithfully.
        string src = _tmp.Sub("evil");
        Directory.CreateDirectory(Path.Combine(src, "bin"));
        File.CreateSymbolicLink(Path.Combine(src, "proc"), "/etc");
        var img = OciImageWriter.WriteFromDirectory(_tmp.Sub("layout"), "evil", src, ImageConfig.Empty);
        Assert.Equal("/etc", new FileInfo(Path.Combine(img.LayerDirs[0], "proc")).LinkTarget);
    }

    [Theory]
    [InlineData("config")]
    [InlineData("manifest")]
    public void DetectsACorruptedBlob(string which)
    {
        string layout = _tmp.Sub("layout");
        var img = OciImageWriter.WriteFromDirectory(layout, "app", MakeSourceTree(), FullConfig);
        string blobs = Path.Combine(layout, "blobs", "sha256");
        string manifestPath = Path.Combine(blobs, img.ManifestDigest["sha256:".Length..]);
        string target = manifestPath;
        if (which == "config")
        {
            using JsonDocument m = JsonDocument.Parse(File.ReadAllBytes(manifestPath));
            target = Path.Combine(blobs, m.RootElement.GetProperty("config").GetProperty("digest").GetString()!["sha256:".Length..]);
        }
        // Same size, different content: only the digest check catches it.
        string text = File.ReadAllText(target);
        File.WriteAllText(target, text.Replace("sha256", "sha257"), new UTF8Encoding(false));

        var e = Assert.Throws<InvalidDataException>(() => new ImageStore([layout]).Resolve("app"));
        Assert.Contains("is corrupt", e.Message);
        Assert.Contains(Path.GetFileName(target), e.Message);
    }

    [Fact]
    public void DetectsAMissingLayerDirectory()
    {
        string layout = _tmp.Sub("layout");
        var img = OciImageWriter.WriteFromDirectory(layout, "app", MakeSourceTree(), ImageConfig.Empty);
        Directory.Move(img.LayerDirs[0], img.LayerDirs[0] + ".gone");
        var e = Assert.Throws<InvalidDataException>(() => new ImageStore([layout]).Resolve("app"));
        Assert.Contains("is not unpacked", e.Message);
    }

    [Fact]
    public void WriterRejectsDigestReferences()
    {
        Assert.Throws<ArgumentException>(() => OciImageWriter.WriteFromDirectory(
            _tmp.Sub("layout"), "x@sha256:" + new string('a', 64), MakeSourceTree(), ImageConfig.Empty));
    }

    [Fact]
    public void UnpackerRefusesEscapes()
    {
        Assert.Null(LayerUnpackerNormalize("../etc/passwd"));
        Assert.Null(LayerUnpackerNormalize("a/../../b"));
        Assert.Equal("etc/passwd", LayerUnpackerNormalize("/etc/passwd"));
        Assert.Equal("etc/passwd", LayerUnpackerNormalize("./etc//passwd"));
        Assert.Equal("", LayerUnpackerNormalize("./"));
    }

    [Fact]
    public void UnpackerRefusesToWriteThroughASymlink()
    {
        // A tar with "link -> /" followed by "link/escaped" must not write outside the layer.
        string outside = _tmp.Sub("outside");
        Directory.CreateDirectory(outside);
        using var tar = new MemoryStream();
        using (var w = new System.Formats.Tar.TarWriter(tar, leaveOpen: true))
        {
            w.WriteEntry(new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.SymbolicLink, "link") { LinkName = outside });
            var file = new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.RegularFile, "link/escaped")
            {
                DataStream = new MemoryStream("x"u8.ToArray()),
            };
            w.WriteEntry(file);
        }
        tar.Position = 0;
        Assert.Throws<InvalidDataException>(() => LayerUnpacker.Unpack(tar, _tmp.Sub("layer")));
        Assert.False(File.Exists(Path.Combine(outside, "escaped")));
    }

    private static string? LayerUnpackerNormalize(string name) => LayerUnpacker.NormalizeName(name);
}
