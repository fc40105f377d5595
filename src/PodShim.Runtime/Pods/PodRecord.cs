using System.Globalization;
using System.Text;
using System.Text.Json;
using PodShim.Manifest;
using PodShim.Runtime.State;

namespace PodShim.Runtime.Pods;

/// <summary>One init container in the summary: its name and whether it is a native sidecar.</summary>
public sealed record InitContainerSummary(string Name, bool Sidecar);

/// <summary>
/// meta.json: what the API server would add to a pod (uid, creation time, the node) and the little of its spec that
/// `get pods` needs, so that listing a hundred pods reads two small JSON files each and never parses YAML.
/// </summary>
public sealed record PodRecord
{
    public required string Name { get; init; }
    public required string Namespace { get; init; }
    public required string Uid { get; init; }
    public required DateTimeOffset CreationTimestamp { get; init; }
    public string NodeName { get; init; } = "";
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    public IReadOnlyList<InitContainerSummary> InitContainers { get; init; } = [];
    public IReadOnlyList<string> Containers { get; init; } = [];

    public static PodRecord For(Pod pod, DateTimeOffset created, string nodeName) => new()
    {
        Name = pod.Metadata.Name,
        Namespace = pod.Metadata.Namespace,
        Uid = pod.Metadata.Uid,
        CreationTimestamp = created,
        NodeName = nodeName,
        Labels = pod.Metadata.Labels,
        InitContainers = pod.Spec.InitContainers.Select(c => new InitContainerSummary(c.Name, c.IsSidecar)).ToList(),
        Containers = pod.Spec.Containers.Select(c => c.Name).ToList(),
    };

    /// <summary>A pod with only what the summary knows (names, sidecars, labels): enough for kubectl's rows.</summary>
    public Pod SummaryPod() => new(
        new ObjectMeta { Name = Name, Namespace = Namespace, Uid = Uid, Labels = Labels },
        new PodSpec
        {
            NodeName = NodeName,
            InitContainers = InitContainers.Select(c => new Container { Name = c.Name, RestartPolicy = c.Sidecar ? "Always" : null }).ToList(),
            Containers = Containers.Select(n => new Container { Name = n }).ToList(),
        });

    public string Serialize()
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("name", Name);
            w.WriteString("namespace", Namespace);
            w.WriteString("uid", Uid);
            w.WriteString("creationTimestamp", CreationTimestamp.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
            w.WriteString("nodeName", NodeName);
            w.WriteStartObject("labels");
            foreach (var (k, v) in Labels)
                w.WriteString(k, v);
            w.WriteEndObject();
            w.WriteStartArray("initContainers");
            foreach (InitContainerSummary c in InitContainers)
            {
                w.WriteStartObject();
                w.WriteString("name", c.Name);
                w.WriteBoolean("sidecar", c.Sidecar);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("containers");
            foreach (string c in Containers)
                w.WriteStringValue(c);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    public static PodRecord Parse(string json) => Parse(Encoding.UTF8.GetBytes(json));

    public static PodRecord Parse(byte[] utf8)
    {
        try
        {
            using var doc = JsonDocument.Parse(utf8);
            JsonElement e = doc.RootElement;
            // Plain loops over the JSON (no LINQ over its structs): this runs for every pod of `get pods`.
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            if (e.TryGetProperty("labels", out var l))
                foreach (JsonProperty p in l.EnumerateObject())
                    labels[p.Name] = p.Value.GetString() ?? "";
            var inits = new List<InitContainerSummary>();
            foreach (JsonElement c in e.GetProperty("initContainers").EnumerateArray())
                inits.Add(new InitContainerSummary(c.GetProperty("name").GetString()!, c.GetProperty("sidecar").GetBoolean()));
            var containers = new List<string>();
            foreach (JsonElement c in e.GetProperty("containers").EnumerateArray())
                containers.Add(c.GetString()!);
            return new PodRecord
            {
                Name = e.GetProperty("name").GetString()!,
                Namespace = e.GetProperty("namespace").GetString()!,
                Uid = e.GetProperty("uid").GetString()!,
                CreationTimestamp = Rfc3339.Parse(e.GetProperty("creationTimestamp").GetString()!),
                NodeName = e.TryGetProperty("nodeName", out var n) ? n.GetString() ?? "" : "",
                Labels = labels,
                InitContainers = inits,
                Containers = containers,
            };
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new FormatException($"pod record: {e.Message}", e);
        }
    }

    public static PodRecord? TryRead(PodPaths paths)
    {
        try
        {
            return Parse(File.ReadAllBytes(paths.Record));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }
}
