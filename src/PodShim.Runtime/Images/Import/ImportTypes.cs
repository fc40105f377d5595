namespace PodShim.Runtime.Images.Import;

/// <summary>The formats <c>podshim image import</c> reads.</summary>
public enum ImportFormat
{
    /// <summary>Decided from the content.</summary>
    Auto,
    /// <summary>An OCI image layout in a tar (<c>podman save --format oci-archive</c>, <c>skopeo copy … oci-archive:</c>).</summary>
    OciArchive,
    /// <summary><c>docker save</c> / <c>podman save</c> (manifest.json, config and layer tars).</summary>
    DockerArchive,
    /// <summary>An OCI image layout directory (<c>skopeo copy … oci:DIR</c>).</summary>
    OciLayout,
    /// <summary>A root filesystem: a tarball (plain or gzip) or a directory, imported as a one-layer image; needs a name.</summary>
    Rootfs,
}

public sealed record ImportOptions
{
    /// <summary>The reference to give the image; required for a rootfs, replaces the archive's names otherwise.</summary>
    public string? Name { get; init; }
    public ImportFormat Format { get; init; } = ImportFormat.Auto;
    /// <summary>For a rootfs: the image config to record (default: PATH only, no command).</summary>
    public ImageConfig? RootfsConfig { get; init; }
    /// <summary>Called from the importing thread as work is done.</summary>
    public Action<ImportProgress>? Progress { get; init; }
}

/// <summary>How far an import is: <paramref name="Done"/> of <paramref name="Total"/> bytes in the current phase.</summary>
public readonly record struct ImportProgress(string Phase, long Done, long Total);

/// <summary>One image an import added to the store.</summary>
/// <param name="References">The normalized references it is tagged with.</param>
/// <param name="ImageId">The config digest (what <c>image ls</c> shows as IMAGE ID).</param>
public sealed record ImportedImage(IReadOnlyList<string> References, string ManifestDigest, string ImageId, int LayerCount, long Size);

/// <summary>The input cannot be imported as asked (what the user must change is in the message).</summary>
public sealed class ImageImportException(string message, Exception? inner = null) : Exception(message, inner);
