using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace PodShim.Tests.Images;

/// <summary>One entry of a test tarball.</summary>
public sealed record TarSpec(string Name, TarEntryType Type, string? Content = null, string? LinkName = null, int Mode = 0b110_100_100,
    int Uid = 0, int Gid = 0, IReadOnlyDictionary<string, string>? Pax = null)
{
    public static TarSpec File(string name, string content, int mode = 0b110_100_100) => new(name, TarEntryType.RegularFile, content, Mode: mode);
    public static TarSpec Dir(string name, int mode = 0b111_101_101) => new(name, TarEntryType.Directory, Mode: mode);
    public static TarSpec Symlink(string name, string target) => new(name, TarEntryType.SymbolicLink, LinkName: target, Mode: 0b111_111_111);
    public static TarSpec HardLink(string name, string target) => new(name, TarEntryType.HardLink, LinkName: target);
    public static TarSpec CharDevice(string name) => new(name, TarEntryType.CharacterDevice);
    public static TarSpec BlockDevice(string name) => new(name, TarEntryType.BlockDevice);
    public static TarSpec Fifo(string name) => new(name, TarEntryType.Fifo);
}

/// <summary>Builds layers, OCI archives, docker archives and layout directories in memory, for import tests.</summary>
public static class ArchiveBuilder
{
    public static byte[] Tar(params TarSpec[] entries)
    {
        using var ms = new MemoryStream();
        using (var w = new TarWriter(ms, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (TarSpec e in entries)
            {
                var entry = e.Pax is null ? new PaxTarEntry(e.Type, e.Name) : new PaxTarEntry(e.Type, e.Name, e.Pax);
                entry.Mode = (UnixFileMode)e.Mode;
                entry.Uid = e.Uid;
                entry.Gid = e.Gid;
                entry.ModificationTime = new DateTimeOffset(2020, 1, 2, 3, 4, 5, TimeSpan.Zero);
                if (e.LinkName is not null)
                    entry.LinkName = e.LinkName;
                if (e.Content is not null)
                    entry.DataStream = new MemoryStream(Encoding.UTF8.GetBytes(e.Content));
                w.WriteEntry(entry);
            }
        }
        return ms.ToArray();
    }

    public static byte[] Gzip(byte[] data)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true))
            gz.Write(data);
        return ms.ToArray();
    }

    public static string Digest(byte[] data) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(data));

    /// <summary>An image: layers as stored (gzip or not) with their uncompressed tars (for diff_ids), a config section.</summary>
    public sealed class Image
    {
        public List<(byte[] Blob, byte[] Tar, bool Gzip)> Layers { get; } = new();
        public string ConfigSection { get; set; } = "{\"Cmd\":[\"sh\"]}";
        public string Architecture { get; set; } = "amd64";

        public Image Layer(bool gzip, params TarSpec[] entries)
        {
            byte[] tar = Tar(entries);
            Layers.Add((gzip ? Gzip(tar) : tar, tar, gzip));
            return this;
        }

        public byte[] ConfigJson() => Encoding.UTF8.GetBytes(
            $"{{\"architecture\":\"{Architecture}\",\"os\":\"linux\",\"config\":{ConfigSection},\"rootfs\":{{\"type\":\"layers\",\"diff_ids\":[{string.Join(',', Layers.Select(l => "\"" + Digest(l.Tar) + "\""))}]}}}}");

        public byte[] ManifestJson(byte[] config) => Encoding.UTF8.GetBytes(
            $"{{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"{Digest(config)}\",\"size\":{config.Length}}},\"layers\":[" +
            string.Join(',', Layers.Select(l => $"{{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar{(l.Gzip ? "+gzip" : "")}\",\"digest\":\"{Digest(l.Blob)}\",\"size\":{l.Blob.Length}}}")) + "]}");
    }

    /// <summary>The files of an OCI layout holding the images, tagged through annotations (each value a JSON object body).</summary>
    public static Dictionary<string, byte[]> OciLayoutFiles(params (Image Image, string? Annotations)[] images)
    {
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal)
        {
            ["oci-layout"] = "{\"imageLayoutVersion\":\"1.0.0\"}"u8.ToArray(),
        };
        var entries = new List<string>();
        foreach (var (image, annotations) in images)
        {
            byte[] config = image.ConfigJson();
            byte[] manifest = image.ManifestJson(config);
            foreach (var l in image.Layers)
                files["blobs/sha256/" + Digest(l.Blob)[7..]] = l.Blob;
            files["blobs/sha256/" + Digest(config)[7..]] = config;
            files["blobs/sha256/" + Digest(manifest)[7..]] = manifest;
            entries.Add($"{{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"{Digest(manifest)}\",\"size\":{manifest.Length}" +
                (annotations is null ? "" : $",\"annotations\":{{{annotations}}}") + "}");
        }
        files["index.json"] = Encoding.UTF8.GetBytes($"{{\"schemaVersion\":2,\"manifests\":[{string.Join(',', entries)}]}}");
        return files;
    }

    public static string RefName(string reference) => $"\"org.opencontainers.image.ref.name\":\"{reference}\"";

    /// <summary>The files of a docker archive (podman's naming: &lt;hex&gt;.json, &lt;hex&gt;.tar).</summary>
    public static Dictionary<string, byte[]> DockerArchiveFiles(Image image, params string[] repoTags)
    {
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        byte[] config = image.ConfigJson();
        files[Digest(config)[7..] + ".json"] = config;
        var layerNames = new List<string>();
        foreach (var l in image.Layers)
        {
            string name = Digest(l.Blob)[7..] + ".tar";
            files[name] = l.Blob;
            layerNames.Add(name);
        }
        files["manifest.json"] = JsonSerializer.SerializeToUtf8Bytes(new[]
        {
            new Dictionary<string, object> { ["Config"] = Digest(config)[7..] + ".json", ["RepoTags"] = repoTags, ["Layers"] = layerNames },
        });
        return files;
    }

    /// <summary>A tar of files (no directories), in the given order.</summary>
    public static byte[] TarOf(IEnumerable<KeyValuePair<string, byte[]>> files)
    {
        using var ms = new MemoryStream();
        using (var w = new TarWriter(ms, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var (name, data) in files)
                w.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(data), Mode = (UnixFileMode)0b110_100_100 });
        }
        return ms.ToArray();
    }

    public static void WriteDirectory(string dir, Dictionary<string, byte[]> files)
    {
        foreach (var (name, data) in files)
        {
            string path = Path.Combine(dir, name);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, data);
        }
    }
}
