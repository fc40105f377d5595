namespace PodShim.Runtime.Images;

/// <summary>The parts of an OCI image config the runtime honours.</summary>
/// <param name="WorkingDir">Empty when the image sets none.</param>
/// <param name="User">Empty when the image sets none (root).</param>
/// <param name="ExposedPorts">Keys of the config's ExposedPorts, e.g. <c>80/tcp</c>, sorted.</param>
public sealed record ImageConfig(
    IReadOnlyList<string> Entrypoint,
    IReadOnlyList<string> Cmd,
    IReadOnlyList<string> Env,
    string WorkingDir,
    string User,
    string? StopSignal,
    IReadOnlyList<string> ExposedPorts)
{
    public static ImageConfig Empty { get; } = new([], [], [], "", "", null, []);
}

/// <summary>An image found in a store, ready to be mounted.</summary>
/// <param name="Reference">The normalized reference it was resolved from.</param>
/// <param name="ManifestDigest">Digest of the (platform) manifest, <c>sha256:…</c>.</param>
/// <param name="LayerDirs">Unpacked layer directories, lowest layer first.</param>
public sealed record ResolvedImage(string Reference, string ManifestDigest, IReadOnlyList<string> LayerDirs, ImageConfig Config);

/// <summary>No store holds the image. There is no registry access: images are imported.</summary>
public sealed class ImageNotFoundException : Exception
{
    public ImageNotFoundException(string reference)
        : base($"image \"{reference}\" is not in the image store (podshim has no registry access); import it with `podshim image import FILE` "
               + "from an OCI or docker archive (podman save, docker save, skopeo copy) or a rootfs tarball with --name")
    {
        Reference = reference;
    }

    public string Reference { get; }
}
