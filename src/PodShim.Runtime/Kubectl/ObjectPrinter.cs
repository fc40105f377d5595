using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PodShim.Runtime.Kubectl;

/// <summary>
/// `-o json` and `-o yaml` as kubectl prints an object it got from the API server (unstructured, so keys in sorted
/// order): JSON by Go's json.MarshalIndent with four spaces (HTML characters escaped as Go escapes them), YAML by
/// sigs.k8s.io/yaml (go-yaml v2: two-space indent, sequences not indented under their key, strings quoted only
/// when they would read back as something else).
/// </summary>
public static class ObjectPrinter
{
    public static string Json(JsonNode node)
    {
        var sb = new StringBuilder();
        WriteJson(sb, node, 0);
        return sb.Append('\n').ToString();
    }

    private static void WriteJson(StringBuilder sb, JsonNode? node, int depth)
    {
        switch (node)
        {
            case null:
                sb.Append("null");
                break;
            case JsonObject o:
                if (o.Count == 0)
                {
                    sb.Append("{}");
                    break;
                }
                sb.Append("{\n");
                bool first = true;
                foreach (var (key, value) in Sorted(o))
                {
                    if (!first)
                        sb.Append(",\n");
                    first = false;
                    sb.Append(' ', 4 * (depth + 1));
                    JsonString(sb, key);
                    sb.Append(": ");
                    WriteJson(sb, value, depth + 1);
                }
                sb.Append('\n').Append(' ', 4 * depth).Append('}');
                break;
            case JsonArray a:
                if (a.Count == 0)
                {
                    sb.Append("[]");
                    break;
                }
                sb.Append("[\n");
                for (int i = 0; i < a.Count; i++)
                {
                    if (i > 0)
                        sb.Append(",\n");
                    sb.Append(' ', 4 * (depth + 1));
                    WriteJson(sb, a[i], depth + 1);
                }
                sb.Append('\n').Append(' ', 4 * depth).Append(']');
                break;
            case JsonValue v:
                switch (v.GetValueKind())
                {
                    case JsonValueKind.String:
                        JsonString(sb, v.GetValue<string>());
                        break;
                    case JsonValueKind.True:
                        sb.Append("true");
                        break;
                    case JsonValueKind.False:
                        sb.Append("false");
                        break;
                    case JsonValueKind.Null:
                        sb.Append("null");
                        break;
                    default:
                        sb.Append(v.ToJsonString());
                        break;
                }
                break;
        }
    }

    /// <summary>Go's encodeState.string with HTML escaping on.</summary>
    private static void JsonString(StringBuilder sb, string s)
    {
        sb.Append('"');
        foreach (char c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '<' or '>' or '&' or '\u2028' or '\u2029' or < ' ':
                    sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    break;
                default: sb.Append(c); break;
            }
        }
        sb.Append('"');
    }

    private static IEnumerable<KeyValuePair<string, JsonNode?>> Sorted(JsonObject o) =>
        o.OrderBy(kv => kv.Key, StringComparer.Ordinal);

    public static string Yaml(JsonNode node)
    {
        var sb = new StringBuilder();
        WriteYamlValue(sb, node, 0, inSequence: false);
        return sb.ToString();
    }

    /// <summary>Writes a value that follows "key:" or "- " (or starts the document); ends with a newline.</summary>
    private static void WriteYamlValue(StringBuilder sb, JsonNode? node, int indent, bool inSequence)
    {
        switch (node)
        {
            case JsonObject o when o.Count > 0:
                bool first = true;
                foreach (var (key, value) in Sorted(o))
                {
                    // The first key of a mapping in a sequence shares the "- " line.
                    if (!(first && inSequence))
                        sb.Append(' ', indent);
                    first = false;
                    sb.Append(YamlScalar(key, indent)).Append(':');
                    WriteYamlChild(sb, value, indent);
                }
                break;
            case JsonArray a when a.Count > 0:
                bool firstItem = true;
                foreach (JsonNode? item in a)
                {
                    if (!(firstItem && inSequence))
                        sb.Append(' ', indent);
                    firstItem = false;
                    sb.Append("- ");
                    WriteYamlValue(sb, item, indent + 2, inSequence: true);
                }
                break;
            default:
                sb.Append(YamlLeaf(node, indent)).Append('\n');
                break;
        }
    }

    /// <summary>After "key:": a nested mapping on the next lines two spaces in, a sequence at the key's own indent.</summary>
    private static void WriteYamlChild(StringBuilder sb, JsonNode? value, int indent)
    {
        switch (value)
        {
            case JsonObject o when o.Count > 0:
                sb.Append('\n');
                WriteYamlValue(sb, value, indent + 2, inSequence: false);
                break;
            case JsonArray a when a.Count > 0:
                sb.Append('\n');
                WriteYamlValue(sb, value, indent, inSequence: false);
                break;
            default:
                sb.Append(' ').Append(YamlLeaf(value, indent + 2)).Append('\n');
                break;
        }
    }

    private static string YamlLeaf(JsonNode? node, int indent) => node switch
    {
        null => "null",
        JsonObject => "{}",
        JsonArray => "[]",
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => YamlScalar(v.GetValue<string>(), indent),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            JsonValueKind.Null => "null",
            _ => v.ToJsonString(),
        },
        _ => "null",
    };

    /// <summary>A string as go-yaml v2 writes it: plain when that reads back as the same string, else quoted.</summary>
    public static string YamlScalar(string s, int indent)
    {
        if (s.Contains('\n'))
            return Literal(s, indent);
        if (ResolvesToNonString(s) || s.Any(c => c < ' ' && c != '\t'))
            return DoubleQuoted(s);
        if (!PlainAllowed(s))
            return "'" + s.Replace("'", "''") + "'";
        return s;
    }

    private static string Literal(string s, int indent)
    {
        var sb = new StringBuilder("|");
        if (!s.EndsWith('\n'))
            sb.Append('-');
        else if (s.EndsWith("\n\n", StringComparison.Ordinal))
            sb.Append('+');
        if (s.StartsWith(' '))
            sb.Append('2');
        string body = s.EndsWith('\n') ? s[..^1] : s;
        foreach (string line in body.Split('\n'))
        {
            sb.Append('\n');
            if (line.Length > 0)
                sb.Append(' ', indent).Append(line);
        }
        return sb.ToString();
    }

    private static string DoubleQuoted(string s)
    {
        var sb = new StringBuilder("\"");
        foreach (char c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\t': sb.Append("\\t"); break;
                case '\r': sb.Append("\\r"); break;
                case '\n': sb.Append("\\n"); break;
                case < ' ': sb.Append("\\x").Append(((int)c).ToString("X2", CultureInfo.InvariantCulture)); break;
                default: sb.Append(c); break;
            }
        }
        return sb.Append('"').ToString();
    }

    /// <summary>YAML 1.1 as go-yaml v2 resolves plain scalars: null, booleans (yes/no/on/off too), numbers, timestamps.</summary>
    private static bool ResolvesToNonString(string s)
    {
        if (s.Length == 0)
            return true;
        switch (s)
        {
            case "~" or "null" or "Null" or "NULL":
            case "y" or "Y" or "yes" or "Yes" or "YES" or "n" or "N" or "no" or "No" or "NO":
            case "true" or "True" or "TRUE" or "false" or "False" or "FALSE":
            case "on" or "On" or "ON" or "off" or "Off" or "OFF":
            case ".inf" or ".Inf" or ".INF" or "+.inf" or "+.Inf" or "+.INF" or "-.inf" or "-.Inf" or "-.INF" or ".nan" or ".NaN" or ".NAN":
                return true;
        }
        string t = s.Replace("_", "");
        if (t.Length > 0 && (char.IsAsciiDigit(t[0]) || ((t[0] is '+' or '-' or '.') && t.Length > 1)))
        {
            string body = t.TrimStart('+', '-');
            if (body.StartsWith("0x", StringComparison.Ordinal) && body.Length > 2 && body[2..].All(char.IsAsciiHexDigit))
                return true;
            if (body.StartsWith("0b", StringComparison.Ordinal) && body.Length > 2 && body[2..].All(c => c is '0' or '1'))
                return true;
            if (body.Length > 0 && body.All(char.IsAsciiDigit))
                return true;
            if (double.TryParse(body, NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out _)
                && body.Any(char.IsAsciiDigit))
                return true;
            // sexagesimal (base 60) numbers: 1:20, 1:20:30.5
            if (body.Contains(':') && body.Split(':').All(p => p.Length > 0 && p.All(c => char.IsAsciiDigit(c) || c == '.')))
                return true;
        }
        // Timestamps: 2001-12-14, 2001-12-14t21:59:43.10-05:00, 2001-12-14 21:59:43.10 -5
        return s.Length >= 8 && char.IsAsciiDigit(s[0]) && System.Text.RegularExpressions.Regex.IsMatch(s,
            @"^\d{4}-\d{1,2}-\d{1,2}(([Tt]|\s+)\d{1,2}:\d{2}:\d{2}(\.\d*)?(\s*(Z|[-+]\d{1,2}(:\d{2})?))?)?$");
    }

    /// <summary>Whether the YAML emitter may write the string plain (libyaml's analyze_scalar, for block context).</summary>
    private static bool PlainAllowed(string s)
    {
        if (s.StartsWith(' ') || s.EndsWith(' ') || s.StartsWith('\t') || s.EndsWith('\t'))
            return false;
        if (s is "-" or "?" or ":" || s.StartsWith("---", StringComparison.Ordinal) || s.StartsWith("...", StringComparison.Ordinal))
            return false;
        char c0 = s[0];
        if ("#,[]{}&*!|>'\"%@`".Contains(c0))
            return false;
        if (c0 is '-' or '?' or ':' && (s.Length == 1 || s[1] is ' ' or '\t'))
            return false;
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (c == ':' && (i + 1 == s.Length || s[i + 1] is ' ' or '\t'))
                return false;
            if (c == '#' && i > 0 && s[i - 1] is ' ' or '\t')
                return false;
            if (c > '~' && c < '\u00a0')
                return false;
        }
        return true;
    }
}
