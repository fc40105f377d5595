using System.Globalization;
using System.Text;
using System.Text.Json;
using PodShim.Manifest;
using PodShim.Runtime.State;

namespace PodShim.Runtime.Services;

/// <summary>
/// A <see cref="StoredService"/> as a v1 Service JSON object, fields in the API's order (ObjectMeta,
/// ServiceSpec) with the defaults the API server fills in for a single-stack IPv4 cluster.
/// </summary>
public static class ServiceJson
{
    private static readonly JsonWriterOptions WriterOptions = new() { Indented = true };

    public static string Serialize(StoredService s)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            w.WriteStartObject();
            w.WriteString("apiVersion", "v1");
            w.WriteString("kind", "Service");
            w.WriteStartObject("metadata");
            w.WriteString("name", s.Name);
            w.WriteString("namespace", s.Namespace);
            w.WriteString("uid", s.Uid);
            w.WriteString("creationTimestamp", UtcText.Seconds(s.CreationTimestamp));
            Map(w, "labels", s.Labels);
            Map(w, "annotations", s.Annotations);
            w.WriteEndObject();

            w.WriteStartObject("spec");
            if (s.Ports.Count > 0)
            {
                w.WriteStartArray("ports");
                foreach (var p in s.Ports)
                {
                    w.WriteStartObject();
                    if (p.Name is { Length: > 0 } name)
                        w.WriteString("name", name);
                    w.WriteString("protocol", p.Protocol);
                    if (p.AppProtocol is { Length: > 0 } app)
                        w.WriteString("appProtocol", app);
                    w.WriteNumber("port", p.Port);
                    if (p.TargetPort.IntValue is int target)
                        w.WriteNumber("targetPort", target);
                    else
                        w.WriteString("targetPort", p.TargetPort.StringValue ?? "");
                    if (p.NodePort != 0)
                        w.WriteNumber("nodePort", p.NodePort);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
            Map(w, "selector", s.Selector);
            bool hasClusterIP = s.ClusterIP.Length > 0;
            if (hasClusterIP)
            {
                w.WriteString("clusterIP", s.ClusterIP);
                w.WriteStartArray("clusterIPs");
                w.WriteStringValue(s.ClusterIP);
                w.WriteEndArray();
            }
            w.WriteString("type", s.Type);
            if (s.ExternalIPs.Count > 0)
            {
                w.WriteStartArray("externalIPs");
                foreach (string ip in s.ExternalIPs)
                    w.WriteStringValue(ip);
                w.WriteEndArray();
            }
            w.WriteString("sessionAffinity", s.SessionAffinity);
            if (s.ExternalName is { Length: > 0 } externalName)
                w.WriteString("externalName", externalName);
            if (s.PublishNotReadyAddresses)
                w.WriteBoolean("publishNotReadyAddresses", true);
            if (hasClusterIP)
            {
                w.WriteStartArray("ipFamilies");
                w.WriteStringValue("IPv4");
                w.WriteEndArray();
                w.WriteString("ipFamilyPolicy", "SingleStack");
                w.WriteString("internalTrafficPolicy", "Cluster");
            }
            w.WriteEndObject();

            w.WriteStartObject("status");
            w.WriteStartObject("loadBalancer");
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length) + "\n";
    }

    /// <summary>Reads a stored Service; null when the text is not one (a foreign or damaged file).</summary>
    public static StoredService? Parse(ReadOnlySpan<byte> utf8)
    {
        try
        {
            var reader = new Utf8JsonReader(utf8);
            using var doc = JsonDocument.ParseValue(ref reader);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || Str(root, "kind") != "Service")
                return null;
            if (!root.TryGetProperty("metadata", out var meta) || meta.ValueKind != JsonValueKind.Object)
                return null;
            if (!root.TryGetProperty("spec", out var spec) || spec.ValueKind != JsonValueKind.Object)
                return null;
            string? name = Str(meta, "name"), ns = Str(meta, "namespace");
            if (string.IsNullOrEmpty(name) || string.IsNullOrEmpty(ns))
                return null;
            DateTimeOffset created = DateTimeOffset.TryParse(Str(meta, "creationTimestamp"), CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t) ? t : DateTimeOffset.UnixEpoch;

            var ports = new List<ServicePort>();
            if (spec.TryGetProperty("ports", out var portsElement) && portsElement.ValueKind == JsonValueKind.Array)
            {
                foreach (var p in portsElement.EnumerateArray())
                {
                    if (p.ValueKind != JsonValueKind.Object)
                        continue;
                    IntOrString target = p.TryGetProperty("targetPort", out var tp) && tp.ValueKind == JsonValueKind.Number
                        ? IntOrString.FromInt(tp.GetInt32())
                        : IntOrString.FromString(tp.ValueKind == JsonValueKind.String ? tp.GetString()! : "");
                    ports.Add(new ServicePort
                    {
                        Name = Str(p, "name"),
                        Protocol = Str(p, "protocol") ?? "TCP",
                        AppProtocol = Str(p, "appProtocol"),
                        Port = Int(p, "port"),
                        TargetPort = target,
                        NodePort = Int(p, "nodePort"),
                    });
                }
            }
            var externalIPs = new List<string>();
            if (spec.TryGetProperty("externalIPs", out var ext) && ext.ValueKind == JsonValueKind.Array)
                foreach (var e in ext.EnumerateArray())
                    if (e.ValueKind == JsonValueKind.String)
                        externalIPs.Add(e.GetString()!);

            return new StoredService(ns, name, Str(meta, "uid") ?? "", created, Str(spec, "type") ?? "ClusterIP",
                Str(spec, "clusterIP") ?? "", ports, ReadMap(spec, "selector"))
            {
                Labels = ReadMap(meta, "labels"),
                Annotations = ReadMap(meta, "annotations"),
                ExternalIPs = externalIPs,
                SessionAffinity = Str(spec, "sessionAffinity") ?? "None",
                ExternalName = Str(spec, "externalName"),
                PublishNotReadyAddresses = spec.TryGetProperty("publishNotReadyAddresses", out var pna) && pna.ValueKind == JsonValueKind.True,
            };
        }
        catch (JsonException)
        {
            return null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static void Map(Utf8JsonWriter w, string name, IReadOnlyDictionary<string, string> map)
    {
        if (map.Count == 0)
            return;
        w.WriteStartObject(name);
        foreach (var (k, v) in map.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            w.WriteString(k, v);
        w.WriteEndObject();
    }

    private static string? Str(JsonElement e, string name) => e.OptionalString(name);

    private static int Int(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int i) ? i : 0;

    private static IReadOnlyDictionary<string, string> ReadMap(JsonElement e, string name)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        if (e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Object)
            foreach (var p in v.EnumerateObject())
                if (p.Value.ValueKind == JsonValueKind.String)
                    map[p.Name] = p.Value.GetString()!;
        return map;
    }
}
