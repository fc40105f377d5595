using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;

namespace PodShim.Runtime.Images;

/// <summary>Paths, media types and digest helpers of an OCI image layout root.</summary>
internal static class OciLayout
{
    internal const string IndexMediaType = "application/vnd.oci.image.index.v1+json";
    internal const string ManifestMediaType = "application/vnd.oci.image.manifest.v1+json";
    internal const string ConfigMediaType = "application/vnd.oci.image.config.v1+json";
    internal const string LayerTarMediaType = "application/vnd.oci.image.layer.v1.tar";
    internal const string DockerManifestMediaType = "application/vnd.docker.distribution.manifest.v2+json";
    internal const string DockerManifestListMediaType = "application/vnd.docker.distribution.manifest.list.v2+json";
    internal const string RefNameAnnotation = "org.opencontainers.image.ref.name";
    internal const string ContainerdNameAnnotation = "io.containerd.image.name";

    /// <summary>Manifests and configs are small; anything bigger than this is not one.</summary>
    internal const int MaxJsonBlobSize = 4 << 20;

    internal static string IndexPath(string root) => Path.Combine(root, "index.json");
    internal static string LayoutFilePath(string root) => Path.Combine(root, "oci-layout");
    internal static string BlobDir(string root) => Path.Combine(root, "blobs", "sha256");
    internal static string LayersDir(string root) => Path.Combine(root, "layers", "sha256");

    internal static string BlobPath(string root, string digest) => Path.Combine(BlobDir(root), Sha256Hex(digest));
    internal static string LayerDir(string root, string diffId) => Path.Combine(LayersDir(root), Sha256Hex(diffId));

    /// <summary>The hex part of a <c>sha256:</c> digest, validated (so it is safe in a path).</summary>
    internal static string Sha256Hex(string digest)
    {
        if (!IsSha256Digest(digest))
            throw new InvalidDataException($"unsupported or malformed digest \"{digest}\" (expected sha256:<64 lowercase hex digits>)");
        return digest[7..];
    }

    internal static bool IsSha256Digest(string? digest) =>
        digest is not null && digest.Length == 71 && digest.StartsWith("sha256:", StringComparison.Ordinal)
        && digest.AsSpan(7).IndexOfAnyExcept("0123456789abcdef") < 0;

    internal static string Digest(ReadOnlySpan<byte> data) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(data));

    internal static string Digest(Stream data) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(data));

    /// <summary>Reads a small blob and checks its size and digest against its descriptor.</summary>
    internal static byte[] ReadVerifiedBlob(string root, string digest, long? expectedSize)
    {
        string path = BlobPath(root, digest);
        byte[] data;
        try
        {
            var info = new FileInfo(path);
            if (info.Length > MaxJsonBlobSize)
                throw new InvalidDataException($"blob {digest} in {root} is {info.Length} bytes; a manifest or config is at most {MaxJsonBlobSize}");
            data = File.ReadAllBytes(path);
        }
        catch (FileNotFoundException)
        {
            throw new InvalidDataException($"blob {digest} is missing from {BlobDir(root)}");
        }
        if (expectedSize is { } size && size != data.Length)
            throw new InvalidDataException($"blob {digest} in {root} is corrupt: {data.Length} bytes, the descriptor says {size}");
        string actual = Digest(data);
        if (actual != digest)
            throw new InvalidDataException($"blob {digest} in {root} is corrupt: its content hashes to {actual}");
        return data;
    }

    internal static string? GetString(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.String
            ? v.GetString()
            : null;

    internal static IReadOnlyList<string> GetStringArray(JsonElement obj, string name)
    {
        if (obj.ValueKind != JsonValueKind.Object || !obj.TryGetProperty(name, out JsonElement v) || v.ValueKind != JsonValueKind.Array)
            return [];
        var list = new List<string>(v.GetArrayLength());
        foreach (JsonElement item in v.EnumerateArray())
            list.Add(item.GetString() ?? "");
        return list;
    }

    /// <summary>OCI architecture name of this machine.</summary>
    internal static string HostArchitecture => RuntimeInformation.OSArchitecture switch
    {
        Architecture.X64 => "amd64",
        Architecture.Arm64 => "arm64",
        Architecture.Arm => "arm",
        Architecture.X86 => "386",
        Architecture.S390x => "s390x",
        Architecture.Ppc64le => "ppc64le",
        Architecture.RiscV64 => "riscv64",
        Architecture.LoongArch64 => "loong64",
        var other => other.ToString().ToLowerInvariant(),
    };
}
