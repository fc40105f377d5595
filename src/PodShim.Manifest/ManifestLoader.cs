using System.Text;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace PodShim.Manifest;

/// <summary>
/// Reads Kubernetes manifests (YAML or JSON; multi-document; <c>kind: List</c>) into
/// <see cref="Pod"/> and <see cref="Service"/> objects with the API server's defaults applied.
/// Strict like kubectl: unknown and duplicate fields are errors naming the field path.
/// Validation is separate: <see cref="PodValidation"/>, <see cref="ServiceValidation"/>.
/// </summary>
public static class ManifestLoader
{
    /// <summary>At most this many problems are put in one exception message.</summary>
    private const int MaxProblemsInMessage = 10;

    public static IReadOnlyList<KubeObject> LoadFile(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ManifestException($"{path}: {e.Message}", e);
        }
        return LoadText(text, path);
    }

    public static IReadOnlyList<KubeObject> LoadText(string text, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(text);
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw SyntaxError(sourceName, e);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or FormatException or OverflowException or IndexOutOfRangeException)
        {
            // YamlDotNet's scanner throws this on some malformed input instead of a YamlException.
            string msg = $"{sourceName}: yaml syntax error: {OneLine(e.Message)}";
            throw new ManifestException(msg, e) { Problems = [msg] };
        }

        var result = new List<KubeObject>();
        int index = 0;
        foreach (var doc in stream.Documents)
        {
            var root = doc.RootNode;
            if (!NodeReader.IsNull(root) && !(root is YamlMappingNode m && m.Children.Count == 0))
            {
                // Aliases share nodes; refuse documents whose expansion explodes ("billion laughs").
                if (ExpandedSize(root, new Dictionary<YamlNode, long>(ReferenceEqualityComparer.Instance)) > MaxExpandedNodes)
                {
                    string msg = $"{sourceName}:{root.Start.Line}:{root.Start.Column}: document {index}: too many nodes after alias expansion (more than {MaxExpandedNodes})";
                    throw new ManifestException(msg) { Problems = [msg] };
                }
                ReadDocument(root, index, sourceName, result);
            }
            index++;
        }
        return result;
    }

    private const long MaxExpandedNodes = 1_000_000;

    private static long ExpandedSize(YamlNode node, Dictionary<YamlNode, long> memo)
    {
        if (memo.TryGetValue(node, out long known)) return known;
        memo[node] = long.MaxValue / 4; // a cycle (impossible in YAML) counts as huge
        long size = 1;
        switch (node)
        {
            case YamlMappingNode map:
                foreach (var (k, v) in map.Children)
                    size = Math.Min(long.MaxValue / 4, size + ExpandedSize(k, memo) + ExpandedSize(v, memo));
                break;
            case YamlSequenceNode seq:
                foreach (var item in seq.Children)
                    size = Math.Min(long.MaxValue / 4, size + ExpandedSize(item, memo));
                break;
        }
        memo[node] = size;
        return size;
    }

    private static ManifestException SyntaxError(string sourceName, YamlException e)
    {
        string inner = e.InnerException is YamlException ie ? ie.Message : e.Message;
        // YamlDotNet messages start with "(Line: 3, Col: 5, Idx: ..) - (...): text"; keep the text.
        int dash = inner.IndexOf("): ", StringComparison.Ordinal);
        string what = dash >= 0 ? inner[(dash + 3)..] : inner;
        var mark = e.Start;
        string msg = $"{sourceName}:{mark.Line}:{mark.Column}: yaml syntax error: {OneLine(what)}";
        return new ManifestException(msg, e) { Problems = [msg] };
    }

    private static string OneLine(string s) => s.ReplaceLineEndings(" ").Trim();

    private static void ReadDocument(YamlNode root, int index, string sourceName, List<KubeObject> result)
    {
        var reader = new NodeReader();
        var objects = new List<KubeObject>();
        if (root is not YamlMappingNode map)
        {
            reader.Problem(root, "expected an object (a Kubernetes manifest)");
        }
        else
        {
            ReadObject(reader, map, "", index, objects, allowList: true);
        }
        if (reader.HasProblems)
        {
            var problems = reader.Problems
                .Select(p => $"{sourceName}:{p.Mark.Line}:{p.Mark.Column}: document {index}: {p.Message}")
                .ToList();
            var sb = new StringBuilder();
            sb.AppendJoin("; ", problems.Take(MaxProblemsInMessage));
            if (problems.Count > MaxProblemsInMessage) sb.Append($"; and {problems.Count - MaxProblemsInMessage} more");
            throw new ManifestException(OneLine(sb.ToString())) { Problems = problems };
        }
        result.AddRange(objects);
    }

    private static void ReadObject(NodeReader r, YamlMappingNode map, string prefix, int index, List<KubeObject> output, bool allowList)
    {
        string? apiVersion = null, kind = null;
        foreach (var (k, v) in map.Children)
        {
            if (k is YamlScalarNode ks && v is YamlScalarNode vs)
            {
                if (ks.Value == "apiVersion") apiVersion = vs.Value;
                else if (ks.Value == "kind") kind = vs.Value;
            }
        }
        string where = prefix.Length == 0 ? "" : $"{prefix}: ";
        if (string.IsNullOrEmpty(kind))
        {
            r.Problem(map, $"{where}Object 'Kind' is missing");
            return;
        }
        if (string.IsNullOrEmpty(apiVersion))
        {
            r.Problem(map, $"{where}Object 'apiVersion' is missing");
            return;
        }
        if (apiVersion != "v1" || kind is not ("Pod" or "Service" or "List"))
        {
            r.Problem(map, $"{where}no matches for kind \"{kind}\" in version \"{apiVersion}\"");
            return;
        }
        switch (kind)
        {
            case "Pod":
                output.Add(PodReader.ReadPod(r, map, prefix));
                break;
            case "Service":
                output.Add(ServiceReader.ReadService(r, map, prefix));
                break;
            case "List":
                if (!allowList)
                {
                    r.Problem(map, $"{where}a List cannot contain a List");
                    return;
                }
                foreach (var (key, keyNode, value) in r.Fields(map, prefix))
                {
                    switch (key)
                    {
                        case "apiVersion" or "kind" or "metadata":
                            break;
                        case "items":
                            var seq = r.Seq(value, "items");
                            if (seq is null) break;
                            int i = 0;
                            foreach (var item in seq.Children)
                            {
                                string itemPath = $"items[{i}]";
                                if (item is YamlMappingNode im) ReadObject(r, im, itemPath, index, output, allowList: false);
                                else if (!NodeReader.IsNull(item)) r.Problem(item, $"{itemPath}: expected an object");
                                i++;
                            }
                            break;
                        default:
                            r.UnknownField(keyNode, prefix, key);
                            break;
                    }
                }
                break;
        }
    }
}
