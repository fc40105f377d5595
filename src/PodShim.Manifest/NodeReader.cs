using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace PodShim.Manifest;

/// <summary>What a YAML scalar resolves to, as sigs.k8s.io/yaml (go-yaml v2, YAML 1.1) resolves it.</summary>
internal enum ScalarType { Null, Bool, Int, Float, String }

/// <summary>
/// Strict, typed reading of a YAML node tree with field paths and positions; collects every
/// problem instead of stopping at the first one.
/// </summary>
internal sealed class NodeReader
{
    private readonly List<(Mark Mark, string Message)> _problems = [];

    public bool HasProblems => _problems.Count > 0;
    public IReadOnlyList<(Mark Mark, string Message)> Problems => _problems;

    public void Problem(YamlNode node, string message) => _problems.Add((node.Start, message));

    public void UnknownField(YamlNode keyNode, string path, string key) =>
        Problem(keyNode, $"strict decoding error: unknown field \"{Join(path, key)}\"");

    public void Unsupported(YamlNode keyNode, string path, string key, string why) =>
        Problem(keyNode, $"{Join(path, key)}: Forbidden: {why}");

    public static string Join(string path, string key) => path.Length == 0 ? key : path + "." + key;

    // ----- scalar resolution -----

    public static ScalarType Resolve(YamlScalarNode s)
    {
        var tag = s.Tag;
        if (!tag.IsEmpty && !tag.IsNonSpecific)
        {
            switch (tag.Value)
            {
                case "tag:yaml.org,2002:str": return ScalarType.String;
                case "tag:yaml.org,2002:null": return ScalarType.Null;
                case "tag:yaml.org,2002:bool": return ScalarType.Bool;
                case "tag:yaml.org,2002:int": return ScalarType.Int;
                case "tag:yaml.org,2002:float": return ScalarType.Float;
            }
        }
        if (s.Style != ScalarStyle.Plain && s.Style != ScalarStyle.Any) return ScalarType.String;
        string v = s.Value ?? "";
        switch (v)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return ScalarType.Null;
            case "y" or "Y" or "yes" or "Yes" or "YES" or "true" or "True" or "TRUE" or "on" or "On" or "ON"
                or "n" or "N" or "no" or "No" or "NO" or "false" or "False" or "FALSE" or "off" or "Off" or "OFF":
                return ScalarType.Bool;
            case ".inf" or ".Inf" or ".INF" or "+.inf" or "+.Inf" or "+.INF" or "-.inf" or "-.Inf" or "-.INF" or ".nan" or ".NaN" or ".NAN":
                return ScalarType.Float;
        }
        char c = v[0];
        if (!(char.IsAsciiDigit(c) || c == '-' || c == '+' || c == '.')) return ScalarType.String;
        if (TryParseYamlInt(v, out _)) return ScalarType.Int;
        string plain = v.Replace("_", "", StringComparison.Ordinal);
        if (plain.Length > 0 && plain.All(ch => char.IsAsciiDigit(ch) || ch is '.' or 'e' or 'E' or '+' or '-')
            && double.TryParse(plain, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
            return ScalarType.Float;
        return ScalarType.String;
    }

    /// <summary>go-yaml v2: strconv.ParseInt(plain, 0, 64) after removing '_', plus 0b binary.</summary>
    public static bool TryParseYamlInt(string v, out long value)
    {
        value = 0;
        string plain = v.Replace("_", "", StringComparison.Ordinal);
        if (plain.Length == 0) return false;
        bool neg = false;
        int i = 0;
        if (plain[0] is '+' or '-') { neg = plain[0] == '-'; i = 1; }
        if (i >= plain.Length) return false;
        string body = plain[i..];
        int radix = 10;
        if (body.StartsWith("0x", StringComparison.OrdinalIgnoreCase)) { radix = 16; body = body[2..]; }
        else if (body.StartsWith("0b", StringComparison.OrdinalIgnoreCase)) { radix = 2; body = body[2..]; }
        else if (body.StartsWith("0o", StringComparison.OrdinalIgnoreCase)) { radix = 8; body = body[2..]; }
        else if (body.Length > 1 && body[0] == '0') { radix = 8; body = body[1..]; }
        if (body.Length == 0) return false;
        ulong acc = 0;
        foreach (char ch in body)
        {
            int d = ch switch
            {
                >= '0' and <= '9' => ch - '0',
                >= 'a' and <= 'f' => ch - 'a' + 10,
                >= 'A' and <= 'F' => ch - 'A' + 10,
                _ => 99,
            };
            if (d >= radix) return false;
            try { acc = checked(acc * (ulong)radix + (ulong)d); }
            catch (OverflowException) { return false; }
        }
        if (neg)
        {
            if (acc > 9223372036854775808UL) return false;
            value = acc == 9223372036854775808UL ? long.MinValue : -(long)acc;
        }
        else
        {
            if (acc > long.MaxValue) return false;
            value = (long)acc;
        }
        return true;
    }

    private static string Describe(YamlNode node) => node switch
    {
        YamlScalarNode s => Resolve(s) switch
        {
            ScalarType.Bool => $"bool {s.Value}",
            ScalarType.Int or ScalarType.Float => $"number {s.Value}",
            ScalarType.Null => "null",
            _ => $"string \"{s.Value}\"",
        },
        YamlMappingNode => "object",
        YamlSequenceNode => "array",
        _ => "alias",
    };

    private void TypeError(YamlNode node, string path, string expected) =>
        Problem(node, $"{path}: expected {expected}, got {Describe(node)}");

    public static bool IsNull(YamlNode node) => node is YamlScalarNode s && Resolve(s) == ScalarType.Null;

    // ----- typed readers; on a type error they record a problem and return null -----

    public string? String(YamlNode node, string path)
    {
        if (node is YamlScalarNode s)
        {
            switch (Resolve(s))
            {
                case ScalarType.String: return s.Value ?? "";
                case ScalarType.Null: return null;
            }
        }
        TypeError(node, path, "string");
        return null;
    }

    /// <summary>A string field that Kubernetes would also take from a YAML number (Quantity, IntOrString are separate).</summary>
    public long? Int(YamlNode node, string path, long min = long.MinValue, long max = long.MaxValue)
    {
        if (node is YamlScalarNode s)
        {
            switch (Resolve(s))
            {
                case ScalarType.Null: return null;
                case ScalarType.Int:
                    if (TryParseYamlInt(s.Value ?? "", out long v))
                    {
                        if (v < min || v > max)
                        {
                            Problem(node, $"{path}: value {v} out of range");
                            return null;
                        }
                        return v;
                    }
                    break;
                case ScalarType.Float:
                    // JSON numbers like 3.0 decode into Go integers when they are whole.
                    if (double.TryParse((s.Value ?? "").Replace("_", "", StringComparison.Ordinal), NumberStyles.Float, CultureInfo.InvariantCulture, out double d)
                        && Math.Floor(d) == d && d >= min && d <= max && Math.Abs(d) < 9.0e15)
                        return (long)d;
                    break;
            }
        }
        TypeError(node, path, "integer");
        return null;
    }

    public int? Int32(YamlNode node, string path)
    {
        var v = Int(node, path, int.MinValue, int.MaxValue);
        return v is null ? null : (int)v.Value;
    }

    public bool? Bool(YamlNode node, string path)
    {
        if (node is YamlScalarNode s)
        {
            switch (Resolve(s))
            {
                case ScalarType.Null: return null;
                case ScalarType.Bool:
                    return (s.Value ?? "") switch
                    {
                        "y" or "Y" or "yes" or "Yes" or "YES" or "true" or "True" or "TRUE" or "on" or "On" or "ON" => true,
                        _ => false,
                    };
            }
        }
        TypeError(node, path, "boolean");
        return null;
    }

    public Quantity? Quantity(YamlNode node, string path)
    {
        if (node is YamlScalarNode s)
        {
            var type = Resolve(s);
            if (type == ScalarType.Null) return null;
            if (type != ScalarType.Bool)
            {
                string text = (s.Value ?? "").Trim();
                if (type is ScalarType.Int or ScalarType.Float)
                {
                    text = text.Replace("_", "", StringComparison.Ordinal);
                    if (type == ScalarType.Int && TryParseYamlInt(text, out long iv)) text = iv.ToString(CultureInfo.InvariantCulture);
                }
                if (PodShim.Manifest.Quantity.TryParse(text, out var q, out var error)) return q;
                Problem(node, $"{path}: {error}");
                return null;
            }
        }
        TypeError(node, path, "quantity");
        return null;
    }

    public IntOrString? IntOrString(YamlNode node, string path)
    {
        if (node is YamlScalarNode s)
        {
            switch (Resolve(s))
            {
                case ScalarType.Null: return null;
                case ScalarType.String: return PodShim.Manifest.IntOrString.FromString(s.Value ?? "");
                case ScalarType.Int:
                    if (TryParseYamlInt(s.Value ?? "", out long v) && v >= int.MinValue && v <= int.MaxValue)
                        return PodShim.Manifest.IntOrString.FromInt((int)v);
                    break;
            }
        }
        TypeError(node, path, "integer or string");
        return null;
    }

    /// <summary>The mapping, or null (with a problem recorded unless the node is null).</summary>
    public YamlMappingNode? Map(YamlNode node, string path)
    {
        if (node is YamlMappingNode m) return m;
        if (!IsNull(node)) TypeError(node, path, "object");
        return null;
    }

    public YamlSequenceNode? Seq(YamlNode node, string path)
    {
        if (node is YamlSequenceNode q) return q;
        if (!IsNull(node)) TypeError(node, path, "array");
        return null;
    }

    /// <summary>Iterates a mapping's string keys; non-string keys are problems.</summary>
    public IEnumerable<(string Key, YamlNode KeyNode, YamlNode Value)> Fields(YamlMappingNode map, string path)
    {
        HashSet<string>? seen = null;
        foreach (var (k, v) in map.Children)
        {
            if (k is not YamlScalarNode ks)
            {
                Problem(k, $"{path}: expected a string key, got {Describe(k)}");
                continue;
            }
            string key = ks.Value ?? "";
            seen ??= new HashSet<string>(StringComparer.Ordinal);
            if (!seen.Add(key))
            {
                Problem(k, $"strict decoding error: duplicate field \"{Join(path, key)}\"");
                continue;
            }
            yield return (key, k, v);
        }
    }

    public IReadOnlyList<string>? StringList(YamlNode node, string path)
    {
        var seq = Seq(node, path);
        if (seq is null) return null;
        var list = new List<string>(seq.Children.Count);
        int i = 0;
        foreach (var item in seq.Children)
        {
            string? s = String(item, $"{path}[{i}]");
            // JSON null in a []string decodes as "".
            list.Add(s ?? "");
            i++;
        }
        return list;
    }

    public IReadOnlyDictionary<string, string> StringMap(YamlNode node, string path)
    {
        var map = Map(node, path);
        if (map is null) return Empty.Map;
        var result = new Dictionary<string, string>(map.Children.Count, StringComparer.Ordinal);
        foreach (var (key, _, value) in Fields(map, path))
        {
            result[key] = String(value, $"{path}.{key}") ?? "";
        }
        return result;
    }

    public IReadOnlyDictionary<string, Quantity> ResourceList(YamlNode node, string path)
    {
        var map = Map(node, path);
        if (map is null) return Empty.Resources;
        var result = new Dictionary<string, Quantity>(map.Children.Count, StringComparer.Ordinal);
        foreach (var (key, _, value) in Fields(map, path))
        {
            var q = Quantity(value, $"{path}.{key}");
            if (q is not null) result[key] = q.Value;
        }
        return result;
    }

    /// <summary>Reads each element of a sequence with <paramref name="read"/>; nulls are skipped.</summary>
    public IReadOnlyList<T> List<T>(YamlNode node, string path, Func<YamlNode, string, T?> read) where T : class
    {
        var seq = Seq(node, path);
        if (seq is null) return [];
        var list = new List<T>(seq.Children.Count);
        int i = 0;
        foreach (var item in seq.Children)
        {
            // A null element decodes as the zero value of the element type.
            var value = read(IsNull(item) ? new YamlMappingNode() : item, $"{path}[{i}]");
            if (value is not null) list.Add(value);
            i++;
        }
        return list;
    }
}
