using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json;

namespace PodShim.Runtime.Images.Import;

/// <summary>
/// <c>podshim image import</c>: adds the images of an OCI archive, a docker archive, an OCI layout
/// directory, or a root filesystem (tarball or directory, with a name) to a store layout. Every
/// blob is verified against its digest (layers also against the config's diff_ids) before the
/// image is tagged; a failed import leaves the store as it was.
/// </summary>
public static class ImageImporter
{
    /// <summary>The config a rootfs gets when none is given: the default PATH, no command.</summary>
    public static readonly ImageConfig DefaultRootfsConfig = ImageConfig.Empty with
    {
        Env = [Containers.ContainerPlanner.DefaultPath],
    };

    public static IReadOnlyList<ImportedImage> Import(string layoutRoot, string source, ImportOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        string root = Path.GetFullPath(layoutRoot);
        string? name = options.Name is null ? null : NormalizeName(options.Name);
        var meter = new ProgressMeter(options.Progress);

        if (Directory.Exists(source))
        {
            ImportFormat format = options.Format == ImportFormat.Auto
                ? File.Exists(Path.Combine(source, "index.json")) ? ImportFormat.OciLayout : ImportFormat.Rootfs
                : options.Format;
            return format switch
            {
                ImportFormat.OciLayout => ImportOciLayout(root, new DirectoryBlobs(source), source, name, meter),
                ImportFormat.Rootfs => [ImportRootfsDirectory(root, source, name, options.RootfsConfig)],
                _ => throw new ImageImportException($"{source} is a directory; a {Describe(format)} is a file"),
            };
        }
        if (!File.Exists(source))
            throw new ImageImportException($"{source}: no such file or directory");

        ImportFormat detected = options.Format == ImportFormat.Auto ? Detect(source) : options.Format;
        switch (detected)
        {
            case ImportFormat.Rootfs:
                return [ImportRootfsTarball(root, source, name, options.RootfsConfig, meter)];
            case ImportFormat.OciLayout:
                throw new ImageImportException($"{source} is a file; an OCI layout is a directory (for a tar of one, use --format oci-archive)");
            case ImportFormat.OciArchive:
            case ImportFormat.DockerArchive:
                string staging = Path.Combine(root, $".staging-{Guid.NewGuid():N}");
                Directory.CreateDirectory(root);
                try
                {
                    StagedArchive staged;
                    long total = new FileInfo(source).Length;
                    using (FileStream file = new(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16))
                    using (var counted = new CountingStream(file, n => meter.Advance("reading " + Path.GetFileName(source), n, total)))
                    using (Stream tar = OpenArchiveStream(counted, source))
                    {
                        try
                        {
                            staged = StagedArchive.Extract(tar, staging);
                        }
                        catch (Exception e) when (e is FormatException or EndOfStreamException or InvalidDataException)
                        {
                            throw new ImageImportException($"{source} is not a valid image archive: {e.Message}", e);
                        }
                    }
                    meter.Done();
                    if (detected == ImportFormat.OciArchive)
                    {
                        if (!staged.Contains("index.json"))
                            throw new ImageImportException($"{source} is not an OCI archive: it has no index.json");
                        return ImportOciLayout(root, new StagedBlobs(staged), source, name, meter);
                    }
                    if (!staged.Contains("manifest.json"))
                        throw new ImageImportException($"{source} is not a docker archive: it has no manifest.json");
                    return ImportDockerArchive(root, staged, source, name, meter);
                }
                finally
                {
                    LayerUnpacker.TryDeleteTree(staging);
                }
            default:
                throw new ArgumentOutOfRangeException(nameof(options), detected, "unknown import format");
        }
    }

    private static string NormalizeName(string name)
    {
        ImageReference parsed;
        try
        {
            parsed = ImageReference.Parse(name);
        }
        catch (FormatException e)
        {
            throw new ImageImportException($"--name: {e.Message}", e);
        }
        if (parsed.Digest is not null)
            throw new ImageImportException($"--name \"{name}\": give a tag, not a digest");
        return parsed.ToString();
    }

    private static string Describe(ImportFormat format) => format switch
    {
        ImportFormat.OciArchive => "OCI archive",
        ImportFormat.DockerArchive => "docker archive",
        ImportFormat.OciLayout => "OCI layout",
        _ => "rootfs",
    };

    // ---- format detection ----

    /// <summary>
    /// Looks at the archive's entry names (not their data): an OCI archive has index.json and
    /// oci-layout, a docker archive manifest.json, and both hold nothing but blobs and JSON; a
    /// name like bin/ or etc/ means a root filesystem.
    /// </summary>
    internal static ImportFormat Detect(string file)
    {
        using FileStream fs = new(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        using Stream tar = OpenArchiveStream(fs, file);
        bool index = false, layout = false, dockerManifest = false, any = false;
        try
        {
            using var reader = new TarReader(tar, leaveOpen: true);
            while (reader.GetNextEntry(copyData: false) is { } entry)
            {
                string? name = LayerUnpacker.NormalizeName(entry.Name);
                if (string.IsNullOrEmpty(name))
                    continue;
                any = true;
                switch (name)
                {
                    case "index.json": index = true; break;
                    case "oci-layout": layout = true; break;
                    case "manifest.json": dockerManifest = true; break;
                    case "repositories": break;
                    default:
                        if (!LooksLikeArchiveMember(name))
                            return ImportFormat.Rootfs;
                        break;
                }
                if (index && layout)
                    return ImportFormat.OciArchive;
            }
        }
        catch (Exception e) when (e is FormatException or EndOfStreamException or InvalidDataException)
        {
            throw new ImageImportException($"{file} is not a tar archive, an OCI layout directory or a rootfs tarball: {e.Message}", e);
        }
        if (index)
            return ImportFormat.OciArchive;
        if (dockerManifest)
            return ImportFormat.DockerArchive;
        if (!any)
            throw new ImageImportException($"{file} is an empty archive");
        return ImportFormat.Rootfs;
    }

    private static bool LooksLikeArchiveMember(string name)
    {
        string top = name.Split('/')[0];
        if (top == "blobs")
            return true;
        string stem = top.EndsWith(".json", StringComparison.Ordinal) ? top[..^5]
            : top.EndsWith(".tar", StringComparison.Ordinal) ? top[..^4] : top;
        return stem.Length == 64 && stem.AsSpan().IndexOfAnyExcept("0123456789abcdef") < 0;
    }

    /// <summary>The archive's tar stream: a gzip-compressed archive is decompressed; others are refused clearly.</summary>
    private static Stream OpenArchiveStream(Stream file, string what)
    {
        try
        {
            return LayerUnpacker.Decompress(file);
        }
        catch (InvalidDataException e)
        {
            throw new ImageImportException($"{what}: {e.Message.Replace("layers are", "archives are", StringComparison.Ordinal)}", e);
        }
    }

    // ---- OCI layouts (directory or staged archive) ----

    private interface IBlobSource
    {
        /// <summary>Adds the blob to the store (verified against digest and size). Null when the source lacks it.</summary>
        (string Digest, long Size, string Path)? Add(StoreTransaction tx, string digest, long? size, Action<long>? progress, string what);
        byte[] Read(string digest, long? size, string what);
        byte[] ReadIndex();
    }

    private sealed class DirectoryBlobs(string dir) : IBlobSource
    {
        private string BlobPath(string digest) => Path.Combine(dir, "blobs", "sha256", OciLayout.Sha256Hex(digest));

        public (string Digest, long Size, string Path)? Add(StoreTransaction tx, string digest, long? size, Action<long>? progress, string what)
        {
            string path = BlobPath(digest);
            if (!File.Exists(path))
                return null;
            return tx.AddBlob(digest, size, () => new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16), progress, what);
        }

        public byte[] Read(string digest, long? size, string what)
        {
            string path = BlobPath(digest);
            if (!File.Exists(path))
                throw new InvalidDataException($"{what} {digest} is missing from {dir}");
            byte[] data = File.ReadAllBytes(path);
            Verify(data, digest, size, what);
            return data;
        }

        public byte[] ReadIndex() => File.ReadAllBytes(Path.Combine(dir, "index.json"));
    }

    private sealed class StagedBlobs(StagedArchive staged) : IBlobSource
    {
        private static string Name(string digest) => "blobs/sha256/" + OciLayout.Sha256Hex(digest);

        public (string Digest, long Size, string Path)? Add(StoreTransaction tx, string digest, long? size, Action<long>? progress, string what)
        {
            if (staged.Find(Name(digest)) is not { } file)
                return null;
            var result = tx.AddStagedBlob(file, digest, size, what);
            progress?.Invoke(file.Size);
            return result;
        }

        public byte[] Read(string digest, long? size, string what)
        {
            byte[] data = staged.ReadSmall(Name(digest), what);
            Verify(data, digest, size, what);
            return data;
        }

        public byte[] ReadIndex() => staged.ReadSmall("index.json", "index");
    }

    private static void Verify(byte[] data, string digest, long? size, string what)
    {
        if (size is { } s && s != data.Length)
            throw new InvalidDataException($"{what} {digest} is corrupt: {data.Length} bytes, its descriptor says {s}");
        string actual = OciLayout.Digest(data);
        if (actual != digest)
            throw new InvalidDataException($"{what} {digest} is corrupt: its content hashes to {actual}");
    }

    private readonly record struct Descriptor(string MediaType, string Digest, long? Size);

    private static IReadOnlyList<ImportedImage> ImportOciLayout(string root, IBlobSource blobs, string source, string? name, ProgressMeter meter)
    {
        using JsonDocument index = ParseJson(blobs.ReadIndex(), $"{source}: index.json");
        if (!index.RootElement.TryGetProperty("manifests", out JsonElement manifests) || manifests.ValueKind != JsonValueKind.Array
            || manifests.GetArrayLength() == 0)
            throw new ImageImportException($"{source}: index.json lists no images");

        // One image per manifest; names gathered from every entry that points at it.
        var images = new List<(Descriptor Manifest, List<string> Names, List<string> TagOnly)>();
        foreach (JsonElement entry in manifests.EnumerateArray())
        {
            Descriptor d = ReadDescriptor(entry, $"{source}: index.json entry");
            if (d.MediaType is OciLayout.IndexMediaType or OciLayout.DockerManifestListMediaType)
                d = SelectPlatform(blobs, d, source);
            var (names, tagOnly) = NamesOf(entry);
            int existing = images.FindIndex(i => i.Manifest.Digest == d.Digest);
            if (existing >= 0)
            {
                images[existing].Names.AddRange(names);
                images[existing].TagOnly.AddRange(tagOnly);
            }
            else
            {
                images.Add((d, names, tagOnly));
            }
        }
        if (name is not null && images.Count > 1)
            throw new ImageImportException($"{source} holds {images.Count} images; --name can only name one (import without --name to keep the archive's names)");

        using var tx = new StoreTransaction(root);
        long total = 0;
        var plans = new List<(Descriptor Manifest, IReadOnlyCollection<string> Names, byte[] ManifestBytes, byte[] ConfigBytes, Descriptor Config, List<Descriptor> Layers, IReadOnlyList<string> DiffIds)>();
        foreach (var (manifestDesc, names, tagOnly) in images)
        {
            IReadOnlyCollection<string> refs = name is not null ? [name] : names.Distinct().ToList();
            if (refs.Count == 0)
            {
                throw new ImageImportException(tagOnly.Count > 0
                    ? $"{source} names its image only by the tag \"{tagOnly[0]}\"; give the repository with --name (e.g. --name myimage:{tagOnly[0]})"
                    : $"{source} does not name its image; give one with --name (e.g. --name myimage:latest)");
            }
            if (manifestDesc.MediaType is not (OciLayout.ManifestMediaType or OciLayout.DockerManifestMediaType))
                throw new ImageImportException($"{source}: unsupported manifest media type \"{manifestDesc.MediaType}\"");
            byte[] manifestBytes = blobs.Read(manifestDesc.Digest, manifestDesc.Size, "manifest");
            using JsonDocument manifest = ParseJson(manifestBytes, $"manifest {manifestDesc.Digest}");
            if (!manifest.RootElement.TryGetProperty("config", out JsonElement configElement))
                throw new InvalidDataException($"manifest {manifestDesc.Digest} has no config");
            Descriptor config = ReadDescriptor(configElement, $"manifest {manifestDesc.Digest}: config");
            var layers = new List<Descriptor>();
            if (manifest.RootElement.TryGetProperty("layers", out JsonElement layerArray) && layerArray.ValueKind == JsonValueKind.Array)
            {
                foreach (JsonElement l in layerArray.EnumerateArray())
                    layers.Add(ReadDescriptor(l, $"manifest {manifestDesc.Digest}: layer"));
            }
            foreach (Descriptor l in layers)
                CheckLayerMediaType(l.MediaType, source);
            byte[] configBytes = blobs.Read(config.Digest, config.Size, "config");
            IReadOnlyList<string> diffIds = DiffIdsOf(configBytes, config.Digest);
            if (diffIds.Count != layers.Count)
                throw new InvalidDataException($"image {manifestDesc.Digest}: the manifest has {layers.Count} layers but its config lists {diffIds.Count} diff_ids");
            total += layers.Sum(l => l.Size ?? 0);
            plans.Add((manifestDesc, refs, manifestBytes, configBytes, config, layers, diffIds));
        }

        var results = new List<ImportedImage>();
        var tags = new List<(IReadOnlyCollection<string>, string, long)>();
        foreach (var plan in plans)
        {
            for (int i = 0; i < plan.Layers.Count; i++)
            {
                Descriptor layer = plan.Layers[i];
                string what = $"layer {i + 1} ({layer.Digest})";
                var added = blobs.Add(tx, layer.Digest, layer.Size, n => meter.Advance("copying layers", n, total), what)
                            ?? throw new InvalidDataException($"{source}: {what} is missing");
                tx.EnsureLayer(added.Path, plan.DiffIds[i], n => meter.Advance("unpacking layers", n, total), what);
            }
            tx.AddBlobBytes(plan.ConfigBytes, plan.Config.Digest, "config");
            (string manifestDigest, long manifestSize) = tx.AddBlobBytes(plan.ManifestBytes, plan.Manifest.Digest, "manifest");
            tags.Add((plan.Names, manifestDigest, manifestSize));
            results.Add(new ImportedImage(plan.Names.ToList(), manifestDigest, plan.Config.Digest, plan.Layers.Count, plan.Layers.Sum(l => l.Size ?? 0)));
        }
        meter.Done();
        tx.Commit(tags);
        return results;
    }

    private static Descriptor ReadDescriptor(JsonElement e, string what)
    {
        string digest = OciLayout.GetString(e, "digest") ?? throw new InvalidDataException($"{what} has no digest");
        if (!OciLayout.IsSha256Digest(digest))
            throw new InvalidDataException($"{what}: unsupported or malformed digest \"{digest}\" (expected sha256:<64 lowercase hex digits>)");
        long? size = e.TryGetProperty("size", out JsonElement s) && s.TryGetInt64(out long n) ? n : null;
        return new Descriptor(OciLayout.GetString(e, "mediaType") ?? OciLayout.ManifestMediaType, digest, size);
    }

    /// <summary>Full references from the entry's annotations; a ref.name that is only a tag is returned apart.</summary>
    private static (List<string> Names, List<string> TagOnly) NamesOf(JsonElement entry)
    {
        var names = new List<string>();
        var tagOnly = new List<string>();
        if (!entry.TryGetProperty("annotations", out JsonElement annotations))
            return (names, tagOnly);
        string? containerd = OciLayout.GetString(annotations, OciLayout.ContainerdNameAnnotation);
        string? refName = OciLayout.GetString(annotations, OciLayout.RefNameAnnotation);
        if (containerd is not null && ImageReference.TryParse(containerd, out ImageReference? c) && c!.Digest is null)
            names.Add(c.ToString());
        else if (refName is not null)
        {
            if (!refName.Contains('/') && !refName.Contains(':'))
                tagOnly.Add(refName);
            else if (ImageReference.TryParse(refName, out ImageReference? r) && r!.Digest is null)
                names.Add(r.ToString());
        }
        return (names, tagOnly);
    }

    private static Descriptor SelectPlatform(IBlobSource blobs, Descriptor indexDescriptor, string source)
    {
        byte[] bytes = blobs.Read(indexDescriptor.Digest, indexDescriptor.Size, "image index");
        using JsonDocument doc = ParseJson(bytes, $"image index {indexDescriptor.Digest}");
        string arch = OciLayout.HostArchitecture;
        var seen = new List<string>();
        if (doc.RootElement.TryGetProperty("manifests", out JsonElement manifests) && manifests.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement entry in manifests.EnumerateArray())
            {
                if (!entry.TryGetProperty("platform", out JsonElement platform))
                    continue;
                string os = OciLayout.GetString(platform, "os") ?? "?";
                string a = OciLayout.GetString(platform, "architecture") ?? "?";
                seen.Add($"{os}/{a}");
                if (os == "linux" && a == arch)
                    return ReadDescriptor(entry, $"image index {indexDescriptor.Digest} entry");
            }
        }
        throw new ImageImportException($"{source}: the image has no variant for linux/{arch} (it has {(seen.Count == 0 ? "none" : string.Join(", ", seen))})");
    }

    private static void CheckLayerMediaType(string mediaType, string source)
    {
        if (mediaType.Contains("foreign", StringComparison.Ordinal))
            throw new ImageImportException($"{source}: foreign layers ({mediaType}, Windows base images) are not supported");
        if (!mediaType.Contains("tar", StringComparison.Ordinal) && !mediaType.Contains("layer", StringComparison.Ordinal))
            throw new ImageImportException($"{source}: unsupported layer media type \"{mediaType}\"");
    }

    private static IReadOnlyList<string> DiffIdsOf(byte[] config, string what)
    {
        using JsonDocument doc = ParseJson(config, $"config {what}");
        IReadOnlyList<string> diffIds = doc.RootElement.TryGetProperty("rootfs", out JsonElement rootfs)
            ? OciLayout.GetStringArray(rootfs, "diff_ids") : [];
        foreach (string d in diffIds)
        {
            if (!OciLayout.IsSha256Digest(d))
                throw new InvalidDataException($"config {what}: unsupported or malformed diff_id \"{d}\"");
        }
        if (doc.RootElement.TryGetProperty("architecture", out JsonElement a) && a.GetString() is { } arch && arch != OciLayout.HostArchitecture)
            throw new ImageImportException($"the image is built for {arch}; this machine runs {OciLayout.HostArchitecture}");
        return diffIds;
    }

    // ---- docker archives ----

    private static IReadOnlyList<ImportedImage> ImportDockerArchive(string root, StagedArchive staged, string source, string? name, ProgressMeter meter)
    {
        using JsonDocument manifest = ParseJson(staged.ReadSmall("manifest.json", "manifest"), $"{source}: manifest.json");
        if (manifest.RootElement.ValueKind != JsonValueKind.Array || manifest.RootElement.GetArrayLength() == 0)
            throw new ImageImportException($"{source}: manifest.json lists no images");
        int count = manifest.RootElement.GetArrayLength();
        if (name is not null && count > 1)
            throw new ImageImportException($"{source} holds {count} images; --name can only name one (import without --name to keep the archive's names)");

        using var tx = new StoreTransaction(root);
        var results = new List<ImportedImage>();
        var tags = new List<(IReadOnlyCollection<string>, string, long)>();
        long total = 0;
        foreach (JsonElement image in manifest.RootElement.EnumerateArray())
            total += OciLayout.GetStringArray(image, "Layers").Sum(l => staged.Find(l)?.Size ?? 0);
        foreach (JsonElement image in manifest.RootElement.EnumerateArray())
        {
            string configName = OciLayout.GetString(image, "Config") ?? throw new InvalidDataException($"{source}: a manifest.json entry has no Config");
            byte[] configBytes = staged.ReadSmall(configName, "config");
            string configDigest = OciLayout.Digest(configBytes);
            // The config is named by its digest (<hex>.json, or blobs/sha256/<hex>): check it.
            string stem = Path.GetFileName(configName);
            if (stem.EndsWith(".json", StringComparison.Ordinal))
                stem = stem[..^5];
            if (stem.Length == 64 && stem.AsSpan().IndexOfAnyExcept("0123456789abcdef") < 0 && "sha256:" + stem != configDigest)
                throw new InvalidDataException($"config {configName} is corrupt: its content hashes to {configDigest}");

            IReadOnlyList<string> layerNames = OciLayout.GetStringArray(image, "Layers");
            IReadOnlyList<string> diffIds = DiffIdsOf(configBytes, configDigest);
            if (diffIds.Count != layerNames.Count)
                throw new InvalidDataException($"{source}: image {configDigest} has {layerNames.Count} layers but its config lists {diffIds.Count} diff_ids");

            IReadOnlyCollection<string> refs = name is not null ? [name]
                : OciLayout.GetStringArray(image, "RepoTags")
                    .Where(t => t != "<none>:<none>")
                    .Select(t => ImageReference.TryParse(t, out ImageReference? r) ? r!.ToString() : null)
                    .OfType<string>().Distinct().ToList();
            if (refs.Count == 0)
                throw new ImageImportException($"{source} does not name image {configDigest[7..19]}; give one with --name (e.g. --name myimage:latest)");

            var layers = new List<LayerDescriptor>();
            for (int i = 0; i < layerNames.Count; i++)
            {
                string what = $"layer {i + 1} ({layerNames[i]})";
                StagedFile file = staged.Get(layerNames[i], "layer");
                bool gzip = IsGzip(file.Path);
                var added = tx.AddStagedBlob(file, null, null, what);
                tx.EnsureLayer(added.Path, diffIds[i], n => meter.Advance("unpacking layers", n, total), what);
                layers.Add(new LayerDescriptor(gzip ? LayerGzipMediaType : OciLayout.LayerTarMediaType, added.Digest, added.Size));
            }
            tx.AddBlobBytes(configBytes, configDigest, "config");
            byte[] ociManifest = OciImageWriter.ManifestJson(configDigest, configBytes.Length, layers);
            (string manifestDigest, long manifestSize) = tx.AddBlobBytes(ociManifest, null, "manifest");
            tags.Add((refs, manifestDigest, manifestSize));
            results.Add(new ImportedImage(refs.ToList(), manifestDigest, configDigest, layers.Count, layers.Sum(l => l.Size)));
        }
        meter.Done();
        tx.Commit(tags);
        return results;
    }

    private const string LayerGzipMediaType = "application/vnd.oci.image.layer.v1.tar+gzip";

    private static bool IsGzip(string path)
    {
        using FileStream fs = File.OpenRead(path);
        return fs.ReadByte() == 0x1f && fs.ReadByte() == 0x8b;
    }

    // ---- root filesystems ----

    private static ImportedImage ImportRootfsTarball(string root, string source, string? name, ImageConfig? config, ProgressMeter meter)
    {
        if (name is null)
            throw new ImageImportException($"{source} is a root filesystem tarball, which has no image name; give one with --name (e.g. --name myimage:1.0)");
        using var tx = new StoreTransaction(root);
        long total = new FileInfo(source).Length;
        var blob = tx.AddBlob(null, null, () => new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16),
            n => meter.Advance("copying " + Path.GetFileName(source), n, total), "rootfs tarball");
        meter.Done();
        string diffId;
        try
        {
            diffId = tx.EnsureLayer(blob.Path, null, n => meter.Advance("unpacking", n, total), source);
        }
        catch (InvalidDataException e)
        {
            throw new ImageImportException(e.Message, e);
        }
        meter.Done();
        string mediaType = IsGzip(blob.Path) ? LayerGzipMediaType : OciLayout.LayerTarMediaType;
        byte[] configBytes = OciImageWriter.ConfigJson(config ?? DefaultRootfsConfig, diffId);
        (string configDigest, long configSize) = tx.AddBlobBytes(configBytes, null, "config");
        byte[] manifest = OciImageWriter.ManifestJson(configDigest, configSize, [new LayerDescriptor(mediaType, blob.Digest, blob.Size)]);
        (string manifestDigest, long manifestSize) = tx.AddBlobBytes(manifest, null, "manifest");
        tx.Commit([([name], manifestDigest, manifestSize)]);
        return new ImportedImage([name], manifestDigest, configDigest, 1, blob.Size);
    }

    private static ImportedImage ImportRootfsDirectory(string root, string source, string? name, ImageConfig? config)
    {
        if (name is null)
            throw new ImageImportException($"{source} is a root filesystem directory, which has no image name; give one with --name (e.g. --name myimage:1.0)");
        ResolvedImage image = OciImageWriter.WriteFromDirectory(root, name, source, config ?? DefaultRootfsConfig);
        var store = new ImageStore([root]);
        ImageDetails details = ImageCatalog.Inspect(store, name);
        return new ImportedImage([name], image.ManifestDigest, details.ImageId, image.LayerDirs.Count, details.Size);
    }

    private static JsonDocument ParseJson(byte[] data, string what)
    {
        try
        {
            return JsonDocument.Parse(data);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{what} is not valid JSON: {e.Message}", e);
        }
    }

    /// <summary>Turns byte counts into <see cref="ImportProgress"/> reports, at most every 50 ms.</summary>
    private sealed class ProgressMeter(Action<ImportProgress>? report)
    {
        private string _phase = "";
        private long _done;
        private long _total;
        private long _lastReport;

        public void Advance(string phase, long bytes, long total)
        {
            if (report is null)
                return;
            if (phase != _phase)
            {
                _phase = phase;
                _done = 0;
            }
            _done += bytes;
            _total = total;
            long now = Environment.TickCount64;
            if (now - _lastReport >= 50)
            {
                _lastReport = now;
                report(new ImportProgress(_phase, Math.Min(_done, _total), _total));
            }
        }

        public void Done()
        {
            if (report is null || _phase.Length == 0)
                return;
            report(new ImportProgress(_phase, _total, _total));
            _phase = "";
            _done = 0;
        }
    }
}
