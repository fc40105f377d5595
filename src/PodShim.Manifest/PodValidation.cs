namespace PodShim.Manifest;

/// <summary>The API server's pod validation (pkg/apis/core/validation), with its messages.</summary>
public static partial class PodValidation
{
    /// <summary>Every error, each <c>&lt;field path&gt;: &lt;message&gt;</c>, in the API server's order.</summary>
    public static IReadOnlyList<string> Validate(Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        var errs = new ErrorList();
        ValidatePod(pod, errs);
        return errs.Messages();
    }

    /// <summary>Throws <see cref="PodInvalidException"/>: <c>The Pod "NAME" is invalid: ...</c>.</summary>
    public static void ThrowIfInvalid(Pod pod)
    {
        var errors = Validate(pod);
        if (errors.Count > 0) throw new PodInvalidException(FormatInvalid("Pod", pod.Metadata.Name, errors), errors);
    }

    /// <summary>apierrors.NewInvalid's message: one error bare, several in brackets, duplicates dropped.</summary>
    public static string FormatInvalid(string kind, string name, IReadOnlyList<string> errors)
    {
        var distinct = errors.Distinct(StringComparer.Ordinal).ToList();
        string body = distinct.Count == 1 ? distinct[0] : "[" + string.Join(", ", distinct) + "]";
        return $"The {kind} \"{name}\" is invalid: {body}";
    }
}
