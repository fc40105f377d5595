using System.Globalization;
using System.Text;

namespace PodShim.Manifest;

/// <summary>k8s.io/apimachinery/pkg/util/validation/field errors, formatted as <c>Error()</c> does.</summary>
internal sealed class ErrorList
{
    private readonly List<string> _errors = [];

    public int Count => _errors.Count;

    public IReadOnlyList<string> Messages() => _errors.ToList();

    public void Add(string error) => _errors.Add(error);

    public void Required(string path, string detail = "") => _errors.Add(Format(path, "Required value", detail));

    public void Forbidden(string path, string detail) => _errors.Add(Format(path, "Forbidden", detail));

    public void Invalid(string path, string value, string detail) =>
        _errors.Add(Format(path, "Invalid value: " + Quote(value), detail));

    public void Invalid(string path, long value, string detail) =>
        _errors.Add(Format(path, "Invalid value: " + value.ToString(CultureInfo.InvariantCulture), detail));

    public void Invalid(string path, bool value, string detail) =>
        _errors.Add(Format(path, "Invalid value: " + (value ? "true" : "false"), detail));

    /// <summary>An Invalid error whose value prints raw (Go's %v / %#v of a non-string).</summary>
    public void InvalidRaw(string path, string rawValue, string detail) =>
        _errors.Add(Format(path, "Invalid value: " + rawValue, detail));

    public void Duplicate(string path, string value) => _errors.Add(Format(path, "Duplicate value: " + Quote(value), ""));

    public void Duplicate(string path, long value) =>
        _errors.Add(Format(path, "Duplicate value: " + value.ToString(CultureInfo.InvariantCulture), ""));

    public void NotFound(string path, string value) => _errors.Add(Format(path, "Not found: " + Quote(value), ""));

    public void NotSupported(string path, string value, params string[] supported)
    {
        string detail = supported.Length == 0 ? "" : "supported values: " + string.Join(", ", supported.Select(Quote));
        _errors.Add(Format(path, "Unsupported value: " + Quote(value), detail));
    }

    public void TooLong(string path, int max) =>
        _errors.Add(Format(path, "Too long", $"may not be more than {max} bytes"));

    public void TooMany(string path, int actual, int max) =>
        _errors.Add(Format(path, "Too many: " + actual.ToString(CultureInfo.InvariantCulture), $"must have at most {max} items"));

    private static string Format(string path, string body, string detail) =>
        detail.Length == 0 ? $"{path}: {body}" : $"{path}: {body}: {detail}";

    /// <summary>Go's %q for a string.</summary>
    public static string Quote(string s)
    {
        var sb = new StringBuilder(s.Length + 2);
        sb.Append('"');
        foreach (var rune in s.EnumerateRunes())
        {
            int c = rune.Value;
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\a': sb.Append("\\a"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                case '\v': sb.Append("\\v"); break;
                default:
                    if (c < 0x20 || c == 0x7f) sb.Append(CultureInfo.InvariantCulture, $"\\x{c:x2}");
                    else if (c == 0xFFFD) sb.Append("\\ufffd");
                    else if (Rune.IsControl(rune)) sb.Append(c <= 0xFFFF ? $"\\u{c:x4}" : $"\\U{c:x8}");
                    else sb.Append(rune.ToString());
                    break;
            }
        }
        sb.Append('"');
        return sb.ToString();
    }
}
