namespace PodShim.Manifest;

/// <summary>A manifest that cannot be read: YAML syntax, unknown field, wrong type, unknown kind.
/// The message is one user-facing line naming the source, the document and the position.</summary>
public sealed class ManifestException : Exception
{
    public ManifestException(string message) : base(message) { }
    public ManifestException(string message, Exception inner) : base(message, inner) { }

    /// <summary>Each problem found, one per entry (the message joins them with "; ").</summary>
    public IReadOnlyList<string> Problems { get; init; } = [];
}

/// <summary>A pod that fails validation: <c>The Pod "NAME" is invalid: ...</c> as the API server says it.</summary>
public sealed class PodInvalidException : Exception
{
    public PodInvalidException(string message, IReadOnlyList<string> errors) : base(message) => Errors = errors;

    /// <summary>The field errors, each <c>&lt;field path&gt;: &lt;message&gt;</c>.</summary>
    public IReadOnlyList<string> Errors { get; }
}

/// <summary>A service that fails validation: <c>The Service "NAME" is invalid: ...</c>.</summary>
public sealed class ServiceInvalidException : Exception
{
    public ServiceInvalidException(string message, IReadOnlyList<string> errors) : base(message) => Errors = errors;
    public IReadOnlyList<string> Errors { get; }
}
