namespace PodShim.Runtime.Kubectl;

/// <summary>A bad -l value, worded as the API server words it.</summary>
public sealed class SelectorException(string message) : Exception(message);

/// <summary>
/// Label selectors as `kubectl get -l` takes them (apimachinery labels.Parse): requirements joined by commas,
/// each <c>key</c>, <c>!key</c>, <c>key=value</c>, <c>key==value</c>, <c>key!=value</c>, <c>key in (a,b)</c> or
/// <c>key notin (a,b)</c>; all must hold.
/// </summary>
public sealed class LabelSelector
{
    private enum Op { Exists, NotExists, Equals, NotEquals, In, NotIn }

    private sealed record Requirement(string Key, Op Op, IReadOnlySet<string> Values);

    private readonly List<Requirement> _requirements;

    private LabelSelector(List<Requirement> requirements) => _requirements = requirements;

    public static LabelSelector Everything { get; } = new([]);

    public static LabelSelector Parse(string text)
    {
        var requirements = new List<Requirement>();
        foreach (string raw in SplitTopLevel(text))
        {
            string part = raw.Trim();
            if (part.Length == 0)
                throw new SelectorException($"unable to parse requirement: found '', expected: identifier");
            requirements.Add(ParseRequirement(part));
        }
        return new LabelSelector(requirements);
    }

    public bool Matches(IReadOnlyDictionary<string, string> labels) => _requirements.All(r => r.Op switch
    {
        Op.Exists => labels.ContainsKey(r.Key),
        Op.NotExists => !labels.ContainsKey(r.Key),
        Op.Equals or Op.In => labels.TryGetValue(r.Key, out string? v) && r.Values.Contains(v),
        Op.NotEquals or Op.NotIn => !labels.TryGetValue(r.Key, out string? v) || !r.Values.Contains(v),
        _ => false,
    });

    private static IEnumerable<string> SplitTopLevel(string text)
    {
        int depth = 0, start = 0;
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] == '(')
                depth++;
            else if (text[i] == ')')
                depth--;
            else if (text[i] == ',' && depth == 0)
            {
                yield return text[start..i];
                start = i + 1;
            }
        }
        yield return text[start..];
    }

    private static Requirement ParseRequirement(string part)
    {
        if (part.StartsWith('!'))
            return new Requirement(Key(part[1..].Trim()), Op.NotExists, new HashSet<string>());
        int ne = part.IndexOf("!=", StringComparison.Ordinal);
        if (ne > 0)
            return new Requirement(Key(part[..ne].Trim()), Op.NotEquals, new HashSet<string> { Value(part[(ne + 2)..].Trim()) });
        int eq = part.IndexOf('=');
        if (eq > 0)
        {
            string value = part[(eq + 1)..];
            if (value.StartsWith('='))
                value = value[1..];
            return new Requirement(Key(part[..eq].Trim()), Op.Equals, new HashSet<string> { Value(value.Trim()) });
        }
        string[] words = part.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (words.Length == 2 && (words[1].StartsWith("in", StringComparison.Ordinal) || words[1].StartsWith("notin", StringComparison.Ordinal)))
        {
            bool notIn = words[1].StartsWith("notin", StringComparison.Ordinal);
            string set = words[1][(notIn ? 5 : 2)..].Trim();
            if (!set.StartsWith('(') || !set.EndsWith(')'))
                throw new SelectorException($"unable to parse requirement: found '{set}', expected: '('");
            var values = set[1..^1].Split(',', StringSplitOptions.TrimEntries).Select(Value).ToHashSet(StringComparer.Ordinal);
            return new Requirement(Key(words[0]), notIn ? Op.NotIn : Op.In, values);
        }
        return new Requirement(Key(part), Op.Exists, new HashSet<string>());
    }

    private static string Key(string key)
    {
        if (key.Length == 0 || key.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '/')))
            throw new SelectorException($"unable to parse requirement: invalid label key \"{key}\"");
        return key;
    }

    private static string Value(string value)
    {
        if (value.Length > 63 || value.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')))
            throw new SelectorException($"unable to parse requirement: invalid label value: \"{value}\"");
        return value;
    }
}
