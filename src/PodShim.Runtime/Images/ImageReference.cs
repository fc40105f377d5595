using System.Text.RegularExpressions;

namespace PodShim.Runtime.Images;

/// <summary>
/// An image reference normalized the way Docker and the kubelet do:
/// <c>busybox</c> → <c>docker.io/library/busybox:latest</c>, <c>myrepo/x</c> →
/// <c>docker.io/myrepo/x:latest</c>, <c>localhost:5000/x:y</c> stays as it is,
/// <c>x@sha256:…</c> has a digest and no tag.
/// </summary>
public sealed partial record ImageReference(string Registry, string Repository, string? Tag, string? Digest)
{
    public const string DefaultRegistry = "docker.io";
    public const string DefaultTag = "latest";
    private const int MaxNameLength = 255;

    /// <summary><c>Registry/Repository</c>, without tag or digest.</summary>
    public string Name => Registry + "/" + Repository;

    public static ImageReference Parse(string reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        if (reference.Length == 0)
            throw Invalid(reference, "the reference is empty");
        foreach (char c in reference)
        {
            if (char.IsWhiteSpace(c) || char.IsControl(c))
                throw Invalid(reference, "it contains whitespace or control characters");
        }

        string rest = reference;
        string? digest = null;
        int at = rest.IndexOf('@');
        if (at >= 0)
        {
            digest = rest[(at + 1)..];
            rest = rest[..at];
            ValidateDigest(reference, digest);
        }

        string? tag = null;
        int colon = rest.LastIndexOf(':');
        if (colon > rest.LastIndexOf('/'))
        {
            tag = rest[(colon + 1)..];
            rest = rest[..colon];
            if (!TagRegex().IsMatch(tag))
                throw Invalid(reference, $"invalid tag \"{tag}\" (allowed: letters, digits, '_', '.', '-', at most 128 characters, not starting with '.' or '-')");
        }

        if (rest.Length == 0)
            throw Invalid(reference, "the repository name is empty");
        if (tag is null && digest is null && Hex64Regex().IsMatch(rest))
            throw Invalid(reference, "a 64-character hexadecimal string is an image ID, not a reference");

        string registry;
        string repository;
        int slash = rest.IndexOf('/');
        string first = slash < 0 ? "" : rest[..slash];
        if (slash >= 0 && (first.Contains('.') || first.Contains(':') || first == "localhost" || first.Any(char.IsUpper)))
        {
            registry = first;
            repository = rest[(slash + 1)..];
            if (!DomainRegex().IsMatch(registry))
                throw Invalid(reference, $"invalid registry \"{registry}\"");
        }
        else
        {
            registry = DefaultRegistry;
            repository = rest;
        }

        if (registry == "index.docker.io")
            registry = DefaultRegistry;
        if (repository.Any(char.IsUpper))
            throw Invalid(reference, "the repository name must be lowercase");
        foreach (string component in repository.Split('/'))
        {
            if (!PathComponentRegex().IsMatch(component))
                throw Invalid(reference, component.Length == 0
                    ? "the repository name has an empty path component"
                    : $"invalid repository path component \"{component}\" (allowed: a-z, 0-9, separated by '.', '_', '__' or '-')");
        }
        if (registry == DefaultRegistry && !repository.Contains('/'))
            repository = "library/" + repository;
        if (registry.Length + 1 + repository.Length > MaxNameLength)
            throw Invalid(reference, $"the repository name is longer than {MaxNameLength} characters");

        if (tag is null && digest is null)
            tag = DefaultTag;
        return new ImageReference(registry, repository, tag, digest);
    }

    public static bool TryParse(string reference, out ImageReference? result)
    {
        try
        {
            result = Parse(reference);
            return true;
        }
        catch (FormatException)
        {
            result = null;
            return false;
        }
    }

    public override string ToString()
    {
        string s = Name;
        if (Tag is not null)
            s += ":" + Tag;
        if (Digest is not null)
            s += "@" + Digest;
        return s;
    }

    private static void ValidateDigest(string reference, string digest)
    {
        int colon = digest.IndexOf(':');
        if (colon <= 0)
            throw Invalid(reference, $"invalid digest \"{digest}\" (expected algorithm:hex, e.g. sha256:<64 hex digits>)");
        string algorithm = digest[..colon];
        string hex = digest[(colon + 1)..];
        int expected = algorithm switch
        {
            "sha256" => 64,
            "sha512" => 128,
            _ => throw Invalid(reference, $"unsupported digest algorithm \"{algorithm}\" (sha256 or sha512)"),
        };
        if (hex.Length != expected || !hex.All(static c => c is >= '0' and <= '9' or >= 'a' and <= 'f'))
            throw Invalid(reference, $"invalid {algorithm} digest \"{digest}\" (expected {expected} lowercase hex digits)");
    }

    private static FormatException Invalid(string reference, string why) =>
        new($"invalid image reference \"{reference}\": {why}");

    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")]
    private static partial Regex TagRegex();

    [GeneratedRegex(@"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$")]
    private static partial Regex PathComponentRegex();

    [GeneratedRegex(@"^(?:(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)(?:\.(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?))*|\[[0-9A-Fa-f:.]+\])(?::[0-9]+)?$")]
    private static partial Regex DomainRegex();

    [GeneratedRegex(@"^[a-f0-9]{64}$")]
    private static partial Regex Hex64Regex();
}
