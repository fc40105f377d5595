using System.Formats.Tar;
using System.Text;
using System.Text.Json;

namespace PodShim.Runtime.Images;

/// <summary>
/// Writes images into an OCI image layout root: the same layout <c>rootfs/build-images.sh</c>
/// produces, with each layer also unpacked to <c>layers/sha256/&lt;diff_id hex&gt;/</c>.
/// </summary>
public static class OciImageWriter
{
    private static readonly DateTimeOffset Epoch = DateTimeOffset.UnixEpoch;
    private static readonly JsonWriterOptions CompactJson = new() { Indented = false };

    /// <summary>
    /// Builds a one-layer image from the directory tree <paramref name="sourceDir"/> (modes,
    /// ownership, symlinks and hard links kept; timestamps set to the epoch so the layer is
    /// deterministic; device nodes, FIFOs and sockets skipped) and tags it
    /// <paramref name="reference"/>, replacing an earlier image with that tag. Creates the
    /// layout if missing. Blobs and unpacked layers are shared by content.
    /// </summary>
    public static ResolvedImage WriteFromDirectory(string layoutRoot, string reference, string sourceDir, ImageConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (!OperatingSystem.IsLinux())
            throw new PlatformNotSupportedException("image layers can only be written on Linux");
        ImageReference parsed = ImageReference.Parse(reference);
        if (parsed.Digest is not null)
            throw new ArgumentException($"cannot write an image by digest (\"{reference}\"); give a tag", nameof(reference));
        if (!Directory.Exists(sourceDir))
            throw new DirectoryNotFoundException($"image source directory {sourceDir} does not exist");
        string root = Path.GetFullPath(layoutRoot);
        string normalized = parsed.ToString();

        Directory.CreateDirectory(OciLayout.BlobDir(root));
        Directory.CreateDirectory(OciLayout.LayersDir(root));
        using FileStream layoutLock = AcquireLock(root);
        if (!File.Exists(OciLayout.LayoutFilePath(root)))
            WriteAtomically(OciLayout.LayoutFilePath(root), "{\"imageLayoutVersion\":\"1.0.0\"}"u8.ToArray());

        // Layer: uncompressed, so its digest is its diff_id.
        string tmpTar = Path.Combine(OciLayout.BlobDir(root), $".tmp-{Guid.NewGuid():N}.tar");
        string diffId;
        long layerSize;
        try
        {
            using (var fs = new FileStream(tmpTar, FileMode.CreateNew, FileAccess.Write, FileShare.None))
                WriteLayerTar(Path.GetFullPath(sourceDir), fs);
            using (FileStream fs = File.OpenRead(tmpTar))
            {
                diffId = OciLayout.Digest(fs);
                layerSize = fs.Length;
            }
            string blob = OciLayout.BlobPath(root, diffId);
            if (File.Exists(blob))
                File.Delete(tmpTar);
            else
                File.Move(tmpTar, blob);
        }
        finally
        {
            File.Delete(tmpTar);
        }
        string layerDir = OciLayout.LayerDir(root, diffId);
        if (!Directory.Exists(layerDir))
            LayerUnpacker.UnpackToNewDirectory(OciLayout.BlobPath(root, diffId), layerDir);

        (string configDigest, long configSize) = PutBlob(root, ConfigJson(config, diffId));
        (string manifestDigest, long manifestSize) = PutBlob(root, ManifestJson(configDigest, configSize, diffId, layerSize));
        UpdateIndex(root, normalized, manifestDigest, manifestSize);

        return new ResolvedImage(normalized, manifestDigest, [layerDir], config);
    }

    private static void WriteLayerTar(string sourceDir, Stream output)
    {
        using var writer = new TarWriter(output, TarEntryFormat.Gnu, leaveOpen: true);
        var hardLinks = new Dictionary<(uint, uint, ulong), string>();
        WriteTree(writer, sourceDir, "", hardLinks);
    }

    private static void WriteTree(TarWriter writer, string dir, string relDir, Dictionary<(uint, uint, ulong), string> hardLinks)
    {
        string[] names = Directory.GetFileSystemEntries(dir).Select(Path.GetFileName).Select(n => n!).ToArray();
        Array.Sort(names, StringComparer.Ordinal);
        foreach (string name in names)
        {
            string path = Path.Combine(dir, name);
            string rel = relDir.Length == 0 ? name : relDir + "/" + name;
            ImageLibc.StatInfo st = ImageLibc.Lstat(path);
            GnuTarEntry entry;
            if (st.IsDirectory)
            {
                entry = new GnuTarEntry(TarEntryType.Directory, rel + "/");
            }
            else if (st.IsSymlink)
            {
                entry = new GnuTarEntry(TarEntryType.SymbolicLink, rel) { LinkName = new FileInfo(path).LinkTarget ?? "" };
            }
            else if (st.IsRegularFile)
            {
                var key = (st.DevMajor, st.DevMinor, st.Ino);
                if (st.NLink > 1 && hardLinks.TryGetValue(key, out string? first))
                {
                    entry = new GnuTarEntry(TarEntryType.HardLink, rel) { LinkName = first };
                }
                else
                {
                    if (st.NLink > 1)
                        hardLinks[key] = rel;
                    entry = new GnuTarEntry(TarEntryType.RegularFile, rel);
                }
            }
            else
            {
                continue; // device nodes, FIFOs, sockets
            }
            entry.Mode = st.Permissions;
            entry.Uid = (int)st.Uid;
            entry.Gid = (int)st.Gid;
            entry.ModificationTime = Epoch;
            entry.AccessTime = Epoch;
            entry.ChangeTime = Epoch;
            if (entry.EntryType == TarEntryType.RegularFile)
            {
                using FileStream data = File.OpenRead(path);
                entry.DataStream = data;
                writer.WriteEntry(entry);
            }
            else
            {
                writer.WriteEntry(entry);
            }
            if (st.IsDirectory)
                WriteTree(writer, path, rel, hardLinks);
        }
    }

    internal static byte[] ConfigJson(ImageConfig config, string diffId)
    {
        return Json(w =>
        {
            w.WriteStartObject();
            w.WriteString("created", "1970-01-01T00:00:00Z");
            w.WriteString("architecture", OciLayout.HostArchitecture);
            w.WriteString("os", "linux");
            w.WriteStartObject("config");
            WriteArrayIfAny(w, "Entrypoint", config.Entrypoint);
            WriteArrayIfAny(w, "Cmd", config.Cmd);
            WriteArrayIfAny(w, "Env", config.Env);
            if (config.WorkingDir.Length > 0)
                w.WriteString("WorkingDir", config.WorkingDir);
            if (config.User.Length > 0)
                w.WriteString("User", config.User);
            if (!string.IsNullOrEmpty(config.StopSignal))
                w.WriteString("StopSignal", config.StopSignal);
            if (config.ExposedPorts.Count > 0)
            {
                w.WriteStartObject("ExposedPorts");
                foreach (string port in config.ExposedPorts.Order(StringComparer.Ordinal))
                {
                    w.WriteStartObject(port);
                    w.WriteEndObject();
                }
                w.WriteEndObject();
            }
            w.WriteEndObject();
            w.WriteStartObject("rootfs");
            w.WriteString("type", "layers");
            w.WriteStartArray("diff_ids");
            w.WriteStringValue(diffId);
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();
        });
    }

    internal static byte[] ManifestJson(string configDigest, long configSize, string layerDigest, long layerSize) =>
        ManifestJson(configDigest, configSize, [new LayerDescriptor(OciLayout.LayerTarMediaType, layerDigest, layerSize)]);

    /// <summary>An OCI image manifest for a config and its layers, lowest first.</summary>
    internal static byte[] ManifestJson(string configDigest, long configSize, IReadOnlyList<LayerDescriptor> layers)
    {
        return Json(w =>
        {
            w.WriteStartObject();
            w.WriteNumber("schemaVersion", 2);
            w.WriteString("mediaType", OciLayout.ManifestMediaType);
            w.WriteStartObject("config");
            w.WriteString("mediaType", OciLayout.ConfigMediaType);
            w.WriteString("digest", configDigest);
            w.WriteNumber("size", configSize);
            w.WriteEndObject();
            w.WriteStartArray("layers");
            foreach (LayerDescriptor layer in layers)
            {
                w.WriteStartObject();
                w.WriteString("mediaType", layer.MediaType);
                w.WriteString("digest", layer.Digest);
                w.WriteNumber("size", layer.Size);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    private static void UpdateIndex(string root, string refName, string manifestDigest, long manifestSize) =>
        OciIndexFile.Tag(root, [refName], manifestDigest, manifestSize);

    private static (string Digest, long Size) PutBlob(string root, byte[] data)
    {
        string digest = OciLayout.Digest(data);
        string path = OciLayout.BlobPath(root, digest);
        if (!File.Exists(path))
            WriteAtomically(path, data);
        return (digest, data.Length);
    }

    private static void WriteArrayIfAny(Utf8JsonWriter w, string name, IReadOnlyList<string> items)
    {
        if (items.Count == 0)
            return;
        w.WriteStartArray(name);
        foreach (string item in items)
            w.WriteStringValue(item);
        w.WriteEndArray();
    }

    internal static byte[] Json(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, CompactJson))
            write(writer);
        return buffer.ToArray();
    }

    internal static void WriteAtomically(string path, byte[] data)
    {
        string tmp = $"{path}.tmp-{Guid.NewGuid():N}";
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                fs.Write(data);
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, path, overwrite: true);
        }
        finally
        {
            File.Delete(tmp);
        }
    }

    /// <summary>Serializes writers of one layout (flock on <c>&lt;root&gt;/.lock</c>).</summary>
    internal static FileStream AcquireLock(string root)
    {
        string path = Path.Combine(root, ".lock");
        DateTime deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(20);
            }
        }
    }
}

/// <summary>One layer of a manifest: media type, digest and size of its blob.</summary>
internal readonly record struct LayerDescriptor(string MediaType, string Digest, long Size);
