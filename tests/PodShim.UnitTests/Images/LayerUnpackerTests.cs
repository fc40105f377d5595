using System.Runtime.Versioning;
using PodShim.Interop;
using PodShim.Runtime.Images;
using PodShim.Tests.Images;

namespace PodShim.UnitTests.Images;

/// <summary>Layers built in the test, including malicious ones: nothing may land outside the layer directory.</summary>
[SupportedOSPlatform("linux")]
public sealed class LayerUnpackerTests : IDisposable
{
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private string Unpack(byte[] blob, string name = "layer")
    {
        string dir = _tmp.Sub(name);
        using var ms = new MemoryStream(blob);
        LayerUnpacker.Unpack(ms, dir);
        return dir;
    }

    private static EntryStatus? Lstat(string path) => BeneathDirectory.StatPath(path, follow: false);

    [Fact]
    public void GzipAndPlainLayersUnpackAlikeAndTheDiffIdIsTheUncompressedDigest()
    {
        byte[] tar = ArchiveBuilder.Tar(TarSpec.Dir("etc/"), TarSpec.File("etc/motd", "hi\n", 0b110_000_000), TarSpec.Symlink("etc/link", "motd"));
        using var plain = new MemoryStream(tar);
        using var gz = new MemoryStream(ArchiveBuilder.Gzip(tar));
        string a = _tmp.Sub("a"), b = _tmp.Sub("b");
        Assert.Equal(ArchiveBuilder.Digest(tar), LayerUnpacker.Unpack(plain, a));
        Assert.Equal(ArchiveBuilder.Digest(tar), LayerUnpacker.Unpack(gz, b));
        foreach (string dir in new[] { a, b })
        {
            Assert.Equal("hi\n", File.ReadAllText(Path.Combine(dir, "etc", "motd")));
            Assert.Equal("600", Convert.ToString((int)File.GetUnixFileMode(Path.Combine(dir, "etc", "motd")), 8));
            Assert.Equal("motd", new FileInfo(Path.Combine(dir, "etc", "link")).LinkTarget);
            Assert.Equal(new DateTime(2020, 1, 2, 3, 4, 5, DateTimeKind.Utc), File.GetLastWriteTimeUtc(Path.Combine(dir, "etc", "motd")));
        }
    }

    [Fact]
    public void WhiteoutsBecomeOverlayWhiteouts()
    {
        string dir = Unpack(ArchiveBuilder.Tar(
            TarSpec.Dir("etc/"),
            TarSpec.File("etc/.wh.motd", ""),
            TarSpec.File("usr/.wh.share", "")));
        EntryStatus motd = Lstat(Path.Combine(dir, "etc", "motd"))!.Value;
        Assert.True(motd.IsWhiteout, "etc/motd is a 0:0 character device");
        Assert.True(Lstat(Path.Combine(dir, "usr", "share"))!.Value.IsWhiteout);
        Assert.Null(Lstat(Path.Combine(dir, "etc", ".wh.motd")));
    }

    [Fact]
    public void AnOpaqueMarkerMarksItsDirectoryAndIsNotWritten()
    {
        string dir = Unpack(ArchiveBuilder.Tar(
            TarSpec.Dir("data/"),
            TarSpec.File("data/.wh..wh..opq", ""),
            TarSpec.File("data/kept", "1"),
            TarSpec.File("made/.wh..wh..opq", "")));
        Assert.Equal("y"u8.ToArray(), BeneathDirectory.GetExtendedAttribute(Path.Combine(dir, "data"), LayerUnpacker.OpaqueAttribute));
        Assert.Equal("y"u8.ToArray(), BeneathDirectory.GetExtendedAttribute(Path.Combine(dir, "made"), LayerUnpacker.OpaqueAttribute));
        Assert.Null(BeneathDirectory.GetExtendedAttribute(dir, LayerUnpacker.OpaqueAttribute));
        Assert.Equal(["kept"], Directory.GetFileSystemEntries(Path.Combine(dir, "data")).Select(Path.GetFileName));
    }

    [Fact]
    public void AWhiteoutDoesNotHideWhatTheSameLayerHas()
    {
        // OCI: whiteouts apply to lower layers only; a file of the same layer stays (before or after the whiteout).
        string dir = Unpack(ArchiveBuilder.Tar(
            TarSpec.File("a", "mine"),
            TarSpec.File(".wh.a", ""),
            TarSpec.File(".wh.b", ""),
            TarSpec.File("b", "later")));
        Assert.Equal("mine", File.ReadAllText(Path.Combine(dir, "a")));
        Assert.Equal("later", File.ReadAllText(Path.Combine(dir, "b")));
    }

    [Theory]
    [InlineData(".wh..wh..")]
    [InlineData(".wh.")]
    [InlineData(".wh...")]
    public void AMalformedWhiteoutIsRefused(string name)
    {
        Assert.Throws<InvalidDataException>(() => Unpack(ArchiveBuilder.Tar(TarSpec.File(name, ""))));
    }

    [Theory]
    [InlineData("../escaped")]
    [InlineData("a/../../escaped")]
    [InlineData("./../escaped")]
    public void NamesThatClimbOutAreRefused(string name)
    {
        var e = Assert.Throws<InvalidDataException>(() => Unpack(ArchiveBuilder.Tar(TarSpec.File(name, "x"))));
        Assert.Contains("escapes", e.Message);
        Assert.False(File.Exists(_tmp.Sub("escaped")));
    }

    [Fact]
    public void AnAbsoluteNameStaysInside()
    {
        string dir = Unpack(ArchiveBuilder.Tar(TarSpec.File("/etc/passwd", "root:x:0:0::/:/bin/sh\n")));
        Assert.True(File.Exists(Path.Combine(dir, "etc", "passwd")));
    }

    [Fact]
    public void AbsoluteSymlinksAreKeptAsTheyAreAndNeverFollowed()
    {
        string outside = _tmp.Sub("outside");
        Directory.CreateDirectory(outside);
        // The link names a host directory; entries after it try to write through it.
        var e = Assert.Throws<InvalidDataException>(() => Unpack(ArchiveBuilder.Tar(
            TarSpec.Symlink("host", outside),
            TarSpec.Symlink("root", "/"),
            TarSpec.File("host/planted", "x"))));
        Assert.Contains("symlink", e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(outside));
        Assert.Throws<InvalidDataException>(() => Unpack(ArchiveBuilder.Tar(TarSpec.Symlink("root", "/"), TarSpec.Dir("root/tmp/evil/")), "l2"));
        Assert.False(Directory.Exists("/tmp/evil"));
    }

    [Fact]
    public void ASymlinkThatReplacesADirectoryDoesNotGetItsMode()
    {
        // "d/" (0777) then "d" -> outside: the directory modes applied at the end must not chmod the symlink's target.
        string outside = _tmp.Sub("victim");
        Directory.CreateDirectory(outside);
        File.SetUnixFileMode(outside, (UnixFileMode)0b111_000_000);
        string dir = Unpack(ArchiveBuilder.Tar(TarSpec.Dir("d/", 0b111_111_111), TarSpec.File("d/f", "x"), TarSpec.Symlink("d", outside)));
        Assert.Equal(outside, new FileInfo(Path.Combine(dir, "d")).LinkTarget);
        Assert.Equal("700", Convert.ToString((int)File.GetUnixFileMode(outside), 8));
        Assert.Empty(Directory.GetFileSystemEntries(outside));
    }

    [Fact]
    public void HardLinksMustPointInsideTheLayer()
    {
        string dir = Unpack(ArchiveBuilder.Tar(TarSpec.File("a", "data"), TarSpec.HardLink("b", "a")));
        Assert.Equal(Lstat(Path.Combine(dir, "a"))!.Value.Inode, Lstat(Path.Combine(dir, "b"))!.Value.Inode);

        string victim = _tmp.Sub("victim.txt");
        File.WriteAllText(victim, "host file");
        Assert.Throws<InvalidDataException>(() => Unpack(ArchiveBuilder.Tar(TarSpec.HardLink("x", "../victim.txt")), "l2"));
        Assert.Throws<InvalidDataException>(() => Unpack(ArchiveBuilder.Tar(TarSpec.HardLink("x", victim)), "l3"));
        // Through a symlink inside the layer to the host file: refused, the link is never followed.
        Assert.Throws<InvalidDataException>(() => Unpack(ArchiveBuilder.Tar(TarSpec.Symlink("s", _tmp.Path), TarSpec.HardLink("x", "s/victim.txt")), "l4"));
        Assert.Equal(1u, Lstat(victim)!.Value.LinkCount);
    }

    [Fact]
    public void DeviceNodesAreSkippedAndFifosKept()
    {
        string dir = Unpack(ArchiveBuilder.Tar(TarSpec.CharDevice("dev/kmem"), TarSpec.BlockDevice("dev/sda"), TarSpec.Fifo("run/pipe")));
        Assert.Null(Lstat(Path.Combine(dir, "dev", "kmem")));
        Assert.Null(Lstat(Path.Combine(dir, "dev", "sda")));
        Assert.Equal(EntryStatus.Fifo, Lstat(Path.Combine(dir, "run", "pipe"))!.Value.Type);
    }

    [Fact]
    public void ALaterEntryReplacesAnEarlierOne()
    {
        string dir = Unpack(ArchiveBuilder.Tar(
            TarSpec.Dir("x/"), TarSpec.File("x/inner", "1"),
            TarSpec.File("x", "now a file"),
            TarSpec.File("y", "old"), TarSpec.Symlink("y", "x")));
        Assert.Equal("now a file", File.ReadAllText(Path.Combine(dir, "x")));
        Assert.Equal("x", new FileInfo(Path.Combine(dir, "y")).LinkTarget);
    }

    [Fact]
    public void ReadOnlyDirectoriesStillGetTheirContent()
    {
        string dir = Unpack(ArchiveBuilder.Tar(TarSpec.Dir("ro/", 0b101_101_101), TarSpec.File("ro/f", "x")));
        Assert.Equal("x", File.ReadAllText(Path.Combine(dir, "ro", "f")));
        Assert.Equal("555", Convert.ToString((int)File.GetUnixFileMode(Path.Combine(dir, "ro")), 8));
    }

    [Theory]
    [InlineData(new byte[] { 0x28, 0xb5, 0x2f, 0xfd, 0, 0 }, "zstd")]
    [InlineData(new byte[] { 0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00 }, "xz")]
    [InlineData(new byte[] { (byte)'B', (byte)'Z', (byte)'h', 0x39, 0, 0 }, "bzip2")]
    public void OtherCompressionsAreRefusedByName(byte[] magic, string name)
    {
        var e = Assert.Throws<InvalidDataException>(() => Unpack([.. magic, .. new byte[100]]));
        Assert.Contains(name, e.Message);
    }

    [Fact]
    public void GarbageIsNotATar()
    {
        Assert.Throws<InvalidDataException>(() => Unpack(System.Text.Encoding.ASCII.GetBytes(new string('x', 1024))));
    }

    [Fact]
    public void UnpackToNewDirectoryLeavesNothingOnFailure()
    {
        string blob = _tmp.Sub("bad.tar");
        File.WriteAllBytes(blob, ArchiveBuilder.Tar(TarSpec.File("ok", "1"), TarSpec.File("../bad", "2")));
        string dest = _tmp.Sub("layers", "x");
        Directory.CreateDirectory(_tmp.Sub("layers"));
        Assert.Throws<InvalidDataException>(() => LayerUnpacker.UnpackToNewDirectory(blob, dest));
        Assert.Empty(Directory.GetFileSystemEntries(_tmp.Sub("layers")));
    }
}
