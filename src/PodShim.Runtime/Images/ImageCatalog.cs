using System.Globalization;
using System.Text.Json;

namespace PodShim.Runtime.Images;

/// <summary>One tag in a store, as <c>podshim image ls</c> shows it.</summary>
/// <param name="Bundled">True when it comes from the bundled images (read-only), not from the root's own store.</param>
public sealed record ImageSummary(string Reference, string Repository, string Tag, string ImageId, string ManifestDigest, long Size, string LayoutRoot, bool Bundled);

/// <summary>One layer of an image: its blob and where it is unpacked.</summary>
public sealed record ImageLayerInfo(string Digest, string MediaType, long Size, string DiffId, string Directory);

/// <summary>Everything <c>podshim image inspect</c> prints.</summary>
public sealed record ImageDetails(
    string Reference,
    IReadOnlyList<string> Tags,
    string ManifestDigest,
    string ImageId,
    string Architecture,
    string Os,
    string? Created,
    ImageConfig Config,
    string ConfigJson,
    IReadOnlyList<ImageLayerInfo> Layers,
    long Size,
    string LayoutRoot,
    bool Bundled);

/// <summary>The outcome of removing images: the references untagged and what garbage collection freed.</summary>
public sealed record RemoveResult(IReadOnlyList<string> Untagged, int BlobsRemoved, int LayersRemoved, long BytesFreed, IReadOnlyList<string> LayersKeptInUse);

/// <summary>Listing, inspecting and removing the images of a store (the root's own layout first, then the bundled one).</summary>
public static class ImageCatalog
{
    public static IReadOnlyList<ImageSummary> List(ImageStore store)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var list = new List<ImageSummary>();
        for (int i = 0; i < store.LayoutRoots.Count; i++)
        {
            string root = store.LayoutRoots[i];
            foreach (IndexEntry entry in OciIndexFile.Read(root))
            {
                if (!seen.Add(entry.Reference))
                    continue; // shadowed by the same tag in an earlier layout
                ImageReference r = ImageReference.Parse(entry.Reference);
                (string imageId, long size) = Summarize(root, entry);
                list.Add(new ImageSummary(entry.Reference, r.Name, r.Tag ?? "<none>", imageId, entry.Digest, size, root, Bundled: i > 0));
            }
        }
        return list.OrderBy(s => s.Repository, StringComparer.Ordinal).ThenBy(s => s.Tag, StringComparer.Ordinal).ToList();
    }

    private static (string ImageId, long Size) Summarize(string root, IndexEntry entry)
    {
        try
        {
            ImageDetails d = Details(root, entry, [], bundled: false);
            return (d.ImageId, d.Size);
        }
        catch (InvalidDataException)
        {
            return ("<corrupt>", 0);
        }
    }

    /// <exception cref="ImageNotFoundException">No layout has it.</exception>
    public static ImageDetails Inspect(ImageStore store, string reference)
    {
        string normalized = ImageReference.Parse(reference).ToString();
        for (int i = 0; i < store.LayoutRoots.Count; i++)
        {
            string root = store.LayoutRoots[i];
            IReadOnlyList<IndexEntry> entries = OciIndexFile.Read(root);
            if (entries.FirstOrDefault(e => e.Reference == normalized) is { } entry)
            {
                var tags = entries.Where(e => e.Digest == entry.Digest).Select(e => e.Reference).Order(StringComparer.Ordinal).ToList();
                return Details(root, entry, tags, bundled: i > 0);
            }
        }
        throw new ImageNotFoundException(normalized);
    }

    private static ImageDetails Details(string root, IndexEntry entry, IReadOnlyList<string> tags, bool bundled)
    {
        ResolvedImage resolved = new ImageStore([root]).Resolve(entry.Reference);
        byte[] manifestBytes = OciLayout.ReadVerifiedBlob(root, resolved.ManifestDigest, null);
        using JsonDocument manifest = JsonDocument.Parse(manifestBytes);
        JsonElement configDescriptor = manifest.RootElement.GetProperty("config");
        string configDigest = OciLayout.GetString(configDescriptor, "digest")!;
        byte[] configBytes = OciLayout.ReadVerifiedBlob(root, configDigest, null);
        using JsonDocument config = JsonDocument.Parse(configBytes);
        JsonElement c = config.RootElement;
        IReadOnlyList<string> diffIds = c.TryGetProperty("rootfs", out JsonElement rootfs) ? OciLayout.GetStringArray(rootfs, "diff_ids") : [];
        var layers = new List<ImageLayerInfo>();
        int i = 0;
        foreach (JsonElement l in manifest.RootElement.GetProperty("layers").EnumerateArray())
        {
            long size = l.TryGetProperty("size", out JsonElement s) && s.TryGetInt64(out long n) ? n : 0;
            layers.Add(new ImageLayerInfo(OciLayout.GetString(l, "digest") ?? "", OciLayout.GetString(l, "mediaType") ?? "", size,
                diffIds[i], resolved.LayerDirs[i]));
            i++;
        }
        string configSection = c.TryGetProperty("config", out JsonElement section) ? section.GetRawText() : "{}";
        return new ImageDetails(entry.Reference, tags.Count > 0 ? tags : [entry.Reference], resolved.ManifestDigest, configDigest,
            OciLayout.GetString(c, "architecture") ?? "", OciLayout.GetString(c, "os") ?? "", OciLayout.GetString(c, "created"),
            resolved.Config, configSection, layers, layers.Sum(l => l.Size), root, bundled);
    }

    /// <summary>
    /// Untags images of <paramref name="store"/>'s own layout (its first root) by reference or by
    /// image ID prefix, then removes blobs and unpacked layers no tag needs any more, except layer
    /// directories a running container still uses (found in the mount tables under <paramref name="procDirectory"/>).
    /// </summary>
    /// <exception cref="ImageNotFoundException">A name matches nothing.</exception>
    /// <exception cref="InvalidOperationException">A name is a bundled image, or an ambiguous ID.</exception>
    public static RemoveResult Remove(ImageStore store, IReadOnlyList<string> names, string procDirectory = "/proc")
    {
        string own = store.LayoutRoots[0];
        using FileStream layoutLock = OciImageWriter.AcquireLock(EnsureRoot(own));
        IReadOnlyList<IndexEntry> entries = OciIndexFile.Read(own);
        var toUntag = new List<string>();
        foreach (string name in names)
            toUntag.AddRange(Match(store, own, entries, name));
        IReadOnlyList<string> untagged = OciIndexFile.Untag(own, toUntag.Distinct().ToList());
        (int blobs, int layers, long bytes, IReadOnlyList<string> kept) = CollectGarbage(own, procDirectory);
        return new RemoveResult(untagged, blobs, layers, bytes, kept);
    }

    private static string EnsureRoot(string root)
    {
        Directory.CreateDirectory(root);
        return root;
    }

    private static IEnumerable<string> Match(ImageStore store, string own, IReadOnlyList<IndexEntry> entries, string name)
    {
        string id = name.StartsWith("sha256:", StringComparison.Ordinal) ? name[7..] : name;
        if (id.Length is >= 4 and <= 64 && id.AsSpan().IndexOfAnyExcept("0123456789abcdef") < 0 && !ImageReferenceLooksTagged(name))
        {
            var byId = entries.Where(e => ConfigDigestOf(own, e) is { } c && c[7..].StartsWith(id, StringComparison.Ordinal)).ToList();
            var ids = byId.Select(e => ConfigDigestOf(own, e)).Distinct().ToList();
            if (ids.Count > 1)
                throw new InvalidOperationException($"image ID \"{name}\" is ambiguous: it matches {ids.Count} images");
            if (byId.Count > 0)
                return byId.Select(e => e.Reference);
        }
        string normalized;
        try
        {
            normalized = ImageReference.Parse(name).ToString();
        }
        catch (FormatException)
        {
            throw new ImageNotFoundException(name);
        }
        var matches = entries.Where(e => e.Reference == normalized).Select(e => e.Reference).ToList();
        if (matches.Count > 0)
            return matches;
        for (int i = 1; i < store.LayoutRoots.Count; i++)
        {
            if (OciIndexFile.Read(store.LayoutRoots[i]).Any(e => e.Reference == normalized))
                throw new InvalidOperationException($"image \"{normalized}\" is bundled with podshim (read-only, in {store.LayoutRoots[i]}); it cannot be removed");
        }
        throw new ImageNotFoundException(normalized);
    }

    // "abcd" is both a valid image ID prefix and a valid repository name: an ID wins unless it has a tag.
    private static bool ImageReferenceLooksTagged(string name) => name.Contains(':') && !name.StartsWith("sha256:", StringComparison.Ordinal);

    private static string? ConfigDigestOf(string root, IndexEntry entry)
    {
        try
        {
            using JsonDocument m = JsonDocument.Parse(OciLayout.ReadVerifiedBlob(root, entry.Digest, null));
            return OciLayout.GetString(m.RootElement.GetProperty("config"), "digest");
        }
        catch (Exception e) when (e is InvalidDataException or JsonException or KeyNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Deletes what no tag references (the caller holds the layout's lock). Temporary entries of
    /// imports in progress are left alone unless older than a day.</summary>
    internal static (int Blobs, int Layers, long Bytes, IReadOnlyList<string> KeptInUse) CollectGarbage(string root, string procDirectory)
    {
        var blobs = new HashSet<string>(StringComparer.Ordinal);
        var layers = new HashSet<string>(StringComparer.Ordinal);
        foreach (IndexEntry entry in OciIndexFile.Read(root))
            Mark(root, entry.Digest, entry.MediaType, blobs, layers);

        int blobCount = 0, layerCount = 0;
        long bytes = 0;
        DateTime staleBefore = DateTime.UtcNow.AddDays(-1);
        string blobDir = OciLayout.BlobDir(root);
        if (Directory.Exists(blobDir))
        {
            foreach (string path in Directory.EnumerateFiles(blobDir))
            {
                string name = Path.GetFileName(path);
                if (blobs.Contains(name) || (name.StartsWith(".tmp-", StringComparison.Ordinal) && File.GetLastWriteTimeUtc(path) > staleBefore))
                    continue;
                bytes += new FileInfo(path).Length;
                File.Delete(path);
                blobCount++;
            }
        }
        var kept = new List<string>();
        string layersDir = OciLayout.LayersDir(root);
        if (Directory.Exists(layersDir))
        {
            HashSet<string>? inUse = null;
            foreach (string dir in Directory.EnumerateDirectories(layersDir))
            {
                string name = Path.GetFileName(dir);
                if (layers.Contains(name) || (name.Contains(".tmp-", StringComparison.Ordinal) && Directory.GetLastWriteTimeUtc(dir) > staleBefore))
                    continue;
                inUse ??= LayerDirectoriesInUse(layersDir, procDirectory);
                if (inUse.Contains(dir))
                {
                    kept.Add(dir);
                    continue;
                }
                LayerUnpacker.TryDeleteTree(dir);
                layerCount++;
            }
        }
        return (blobCount, layerCount, bytes, kept);
    }

    private static void Mark(string root, string digest, string mediaType, HashSet<string> blobs, HashSet<string> layers)
    {
        if (!OciLayout.IsSha256Digest(digest) || !blobs.Add(digest[7..]))
            return;
        try
        {
            using JsonDocument doc = JsonDocument.Parse(OciLayout.ReadVerifiedBlob(root, digest, null));
            JsonElement r = doc.RootElement;
            if (mediaType is OciLayout.IndexMediaType or OciLayout.DockerManifestListMediaType)
            {
                if (r.TryGetProperty("manifests", out JsonElement ms))
                {
                    foreach (JsonElement m in ms.EnumerateArray())
                    {
                        if (OciLayout.GetString(m, "digest") is { } d)
                            Mark(root, d, OciLayout.GetString(m, "mediaType") ?? OciLayout.ManifestMediaType, blobs, layers);
                    }
                }
                return;
            }
            if (r.TryGetProperty("config", out JsonElement config) && OciLayout.GetString(config, "digest") is { } configDigest
                && OciLayout.IsSha256Digest(configDigest))
            {
                blobs.Add(configDigest[7..]);
                using JsonDocument c = JsonDocument.Parse(OciLayout.ReadVerifiedBlob(root, configDigest, null));
                if (c.RootElement.TryGetProperty("rootfs", out JsonElement rootfs))
                {
                    foreach (string diffId in OciLayout.GetStringArray(rootfs, "diff_ids"))
                    {
                        if (OciLayout.IsSha256Digest(diffId))
                            layers.Add(diffId[7..]);
                    }
                }
            }
            if (r.TryGetProperty("layers", out JsonElement ls))
            {
                foreach (JsonElement l in ls.EnumerateArray())
                {
                    if (OciLayout.GetString(l, "digest") is { } d && OciLayout.IsSha256Digest(d))
                        blobs.Add(d[7..]);
                }
            }
        }
        catch (Exception e) when (e is InvalidDataException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            // A damaged image keeps what it names by digest; the rest of it cannot be known.
        }
    }

    /// <summary>Layer directories that are an overlay lower directory in any mount namespace on the host
    /// (containers mount their rootfs in their own namespace, so every process's mount table is read).</summary>
    internal static HashSet<string> LayerDirectoriesInUse(string layersDir, string procDirectory)
    {
        var used = new HashSet<string>(StringComparer.Ordinal);
        var namespaces = new HashSet<string>(StringComparer.Ordinal);
        string prefix = layersDir.TrimEnd('/') + "/";
        IEnumerable<string> pids;
        try
        {
            pids = Directory.EnumerateDirectories(procDirectory).Where(d => int.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out _)).ToList();
        }
        catch (IOException)
        {
            return used;
        }
        foreach (string pid in pids)
        {
            try
            {
                string? ns = new FileInfo(Path.Combine(pid, "ns", "mnt")).LinkTarget;
                if (ns is not null && !namespaces.Add(ns))
                    continue;
                foreach (string line in File.ReadLines(Path.Combine(pid, "mountinfo")))
                {
                    int at = line.IndexOf("lowerdir=", StringComparison.Ordinal);
                    if (at < 0)
                        continue;
                    string rest = line[(at + "lowerdir=".Length)..];
                    int end = rest.IndexOf(',');
                    foreach (string dir in (end < 0 ? rest : rest[..end]).Split(':'))
                    {
                        if (dir.StartsWith(prefix, StringComparison.Ordinal))
                            used.Add(dir);
                    }
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The process ended, or is not ours to read.
            }
        }
        return used;
    }
}
