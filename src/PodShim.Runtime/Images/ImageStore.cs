using System.Text.Json;

namespace PodShim.Runtime.Images;

/// <summary>
/// Finds images in one or more OCI image layout roots, searched in order. Each root holds
/// <c>index.json</c>, <c>blobs/sha256/</c> and <c>layers/sha256/&lt;diff_id hex&gt;/</c>, the
/// unpacked layers used directly as overlayfs lower directories. Roots that do not exist are
/// skipped.
/// </summary>
public sealed class ImageStore
{
    /// <summary>Environment variable naming the bundled images directory.</summary>
    public const string BundledImagesVariable = "PODSHIM_IMAGES";

    public ImageStore(IReadOnlyList<string> layoutRoots)
    {
        ArgumentNullException.ThrowIfNull(layoutRoots);
        LayoutRoots = layoutRoots.Select(Path.GetFullPath).ToArray();
    }

    public IReadOnlyList<string> LayoutRoots { get; }

    /// <summary>The store of a PodShim root: <c>&lt;root&gt;/images</c>, then the bundled images.</summary>
    public static ImageStore ForRoot(string podshimRoot)
    {
        var roots = new List<string> { Path.GetFullPath(Path.Combine(podshimRoot, "images")) };
        if (FindBundledImages() is { } bundled && !roots.Contains(Path.GetFullPath(bundled)))
            roots.Add(bundled);
        return new ImageStore(roots);
    }

    /// <summary>
    /// The bundled images built by <c>rootfs/build-images.sh</c>: <c>$PODSHIM_IMAGES</c> if set,
    /// else <c>images/</c> next to the running binary, else the first <c>bin/images</c> found
    /// walking up from it (tests run from <c>tests/*/bin/…</c>); null if there is none.
    /// </summary>
    public static string? FindBundledImages()
    {
        string? env = Environment.GetEnvironmentVariable(BundledImagesVariable);
        if (!string.IsNullOrEmpty(env))
            return Path.GetFullPath(env);
        string baseDir = AppContext.BaseDirectory;
        string beside = Path.Combine(baseDir, "images");
        if (File.Exists(OciLayout.IndexPath(beside)))
            return Path.GetFullPath(beside);
        for (var dir = new DirectoryInfo(baseDir); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "bin", "images");
            if (File.Exists(OciLayout.IndexPath(candidate)))
                return candidate;
        }
        return null;
    }

    /// <exception cref="FormatException">The reference is malformed.</exception>
    /// <exception cref="ImageNotFoundException">No root holds the image.</exception>
    /// <exception cref="InvalidDataException">The image is there but its store is corrupt or incomplete.</exception>
    public ResolvedImage Resolve(string reference)
    {
        ImageReference parsed = ImageReference.Parse(reference);
        string normalized = parsed.ToString();
        foreach (string root in LayoutRoots)
        {
            string indexPath = OciLayout.IndexPath(root);
            if (!File.Exists(indexPath))
                continue;
            using JsonDocument index = ParseJson(File.ReadAllBytes(indexPath), indexPath);
            if (FindDescriptor(index.RootElement, parsed) is { } descriptor)
                return Load(root, normalized, descriptor);
        }
        throw new ImageNotFoundException(normalized);
    }

    /// <summary>Whether any root holds the image (does not verify it).</summary>
    public bool Contains(string reference)
    {
        ImageReference parsed = ImageReference.Parse(reference);
        foreach (string root in LayoutRoots)
        {
            string indexPath = OciLayout.IndexPath(root);
            if (!File.Exists(indexPath))
                continue;
            using JsonDocument index = ParseJson(File.ReadAllBytes(indexPath), indexPath);
            if (FindDescriptor(index.RootElement, parsed) is not null)
                return true;
        }
        return false;
    }

    private readonly record struct Descriptor(string MediaType, string Digest, long? Size);

    private static Descriptor? FindDescriptor(JsonElement index, ImageReference wanted)
    {
        if (index.ValueKind != JsonValueKind.Object || !index.TryGetProperty("manifests", out JsonElement manifests)
            || manifests.ValueKind != JsonValueKind.Array)
            return null;
        string full = wanted.ToString();
        foreach (JsonElement entry in manifests.EnumerateArray())
        {
            string? digest = OciLayout.GetString(entry, "digest");
            if (digest is null)
                continue;
            string? refName = null;
            string? containerdName = null;
            if (entry.TryGetProperty("annotations", out JsonElement annotations))
            {
                refName = OciLayout.GetString(annotations, OciLayout.RefNameAnnotation);
                containerdName = OciLayout.GetString(annotations, OciLayout.ContainerdNameAnnotation);
            }
            bool match;
            if (wanted.Digest is not null)
            {
                // By digest: the entry's manifest, as long as it is tagged for the same repository.
                match = digest == wanted.Digest
                        && (NameOf(refName) == wanted.Name || NameOf(containerdName) == wanted.Name);
            }
            else
            {
                match = refName == full || containerdName == full;
            }
            if (match)
            {
                long? size = entry.TryGetProperty("size", out JsonElement s) && s.TryGetInt64(out long n) ? n : null;
                return new Descriptor(OciLayout.GetString(entry, "mediaType") ?? OciLayout.ManifestMediaType, digest, size);
            }
        }
        return null;
    }

    private static string? NameOf(string? reference) =>
        reference is not null && ImageReference.TryParse(reference, out ImageReference? r) ? r!.Name : null;

    private static ResolvedImage Load(string root, string reference, Descriptor descriptor)
    {
        if (descriptor.MediaType is OciLayout.IndexMediaType or OciLayout.DockerManifestListMediaType)
            descriptor = SelectPlatform(root, reference, descriptor);
        if (descriptor.MediaType is not (OciLayout.ManifestMediaType or OciLayout.DockerManifestMediaType))
            throw new InvalidDataException($"image \"{reference}\" in {root}: unsupported manifest media type \"{descriptor.MediaType}\"");

        byte[] manifestBytes = OciLayout.ReadVerifiedBlob(root, descriptor.Digest, descriptor.Size);
        using JsonDocument manifest = ParseJson(manifestBytes, $"manifest {descriptor.Digest}");
        JsonElement m = manifest.RootElement;
        if (!m.TryGetProperty("config", out JsonElement configDescriptor) || OciLayout.GetString(configDescriptor, "digest") is not { } configDigest)
            throw new InvalidDataException($"manifest {descriptor.Digest} of image \"{reference}\" has no config");
        int layerCount = m.TryGetProperty("layers", out JsonElement layers) && layers.ValueKind == JsonValueKind.Array ? layers.GetArrayLength() : 0;
        long? configSize = configDescriptor.TryGetProperty("size", out JsonElement cs) && cs.TryGetInt64(out long n) ? n : null;

        byte[] configBytes = OciLayout.ReadVerifiedBlob(root, configDigest, configSize);
        using JsonDocument config = ParseJson(configBytes, $"config {configDigest}");
        JsonElement c = config.RootElement;
        IReadOnlyList<string> diffIds = c.TryGetProperty("rootfs", out JsonElement rootfs) ? OciLayout.GetStringArray(rootfs, "diff_ids") : [];
        if (diffIds.Count != layerCount)
            throw new InvalidDataException($"image \"{reference}\" in {root}: the manifest has {layerCount} layers but the config lists {diffIds.Count} diff_ids");

        var layerDirs = new List<string>(diffIds.Count);
        foreach (string diffId in diffIds)
        {
            string dir = OciLayout.LayerDir(root, diffId);
            if (!Directory.Exists(dir))
                throw new InvalidDataException($"image \"{reference}\": layer {diffId} is not unpacked (missing {dir})");
            layerDirs.Add(dir);
        }
        return new ResolvedImage(reference, descriptor.Digest, layerDirs, ParseConfig(c));
    }

    private static Descriptor SelectPlatform(string root, string reference, Descriptor indexDescriptor)
    {
        byte[] bytes = OciLayout.ReadVerifiedBlob(root, indexDescriptor.Digest, indexDescriptor.Size);
        using JsonDocument doc = ParseJson(bytes, $"index {indexDescriptor.Digest}");
        string arch = OciLayout.HostArchitecture;
        if (doc.RootElement.TryGetProperty("manifests", out JsonElement manifests) && manifests.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement entry in manifests.EnumerateArray())
            {
                if (!entry.TryGetProperty("platform", out JsonElement platform)
                    || OciLayout.GetString(platform, "os") != "linux" || OciLayout.GetString(platform, "architecture") != arch)
                    continue;
                if (OciLayout.GetString(entry, "digest") is { } digest)
                {
                    long? size = entry.TryGetProperty("size", out JsonElement s) && s.TryGetInt64(out long n) ? n : null;
                    return new Descriptor(OciLayout.GetString(entry, "mediaType") ?? OciLayout.ManifestMediaType, digest, size);
                }
            }
        }
        throw new InvalidDataException($"image \"{reference}\" in {root} has no manifest for linux/{arch}");
    }

    internal static ImageConfig ParseConfig(JsonElement imageConfig)
    {
        if (!imageConfig.TryGetProperty("config", out JsonElement c) || c.ValueKind != JsonValueKind.Object)
            return ImageConfig.Empty;
        var ports = new List<string>();
        if (c.TryGetProperty("ExposedPorts", out JsonElement exposed) && exposed.ValueKind == JsonValueKind.Object)
        {
            foreach (JsonProperty p in exposed.EnumerateObject())
                ports.Add(p.Name);
            ports.Sort(StringComparer.Ordinal);
        }
        string? stopSignal = OciLayout.GetString(c, "StopSignal");
        return new ImageConfig(
            Entrypoint: OciLayout.GetStringArray(c, "Entrypoint"),
            Cmd: OciLayout.GetStringArray(c, "Cmd"),
            Env: OciLayout.GetStringArray(c, "Env"),
            WorkingDir: OciLayout.GetString(c, "WorkingDir") ?? "",
            User: OciLayout.GetString(c, "User") ?? "",
            StopSignal: string.IsNullOrEmpty(stopSignal) ? null : stopSignal,
            ExposedPorts: ports);
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
}
