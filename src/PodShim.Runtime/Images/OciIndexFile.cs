using System.Text.Json;
using System.Text.Json.Nodes;

namespace PodShim.Runtime.Images;

/// <summary>One tag of a layout's index.json: the full reference and the manifest it names.</summary>
public sealed record IndexEntry(string Reference, string MediaType, string Digest, long? Size);

/// <summary>
/// Reads and rewrites a layout's <c>index.json</c>: one entry per tag, annotated with the full
/// normalized reference (<c>org.opencontainers.image.ref.name</c>). Writers hold the layout's lock
/// (<see cref="OciImageWriter.AcquireLock"/>); the file is replaced atomically, so readers never see half of it.
/// </summary>
internal static class OciIndexFile
{
    /// <summary>The tagged entries (entries without a usable reference are left out).</summary>
    internal static IReadOnlyList<IndexEntry> Read(string root)
    {
        string path = OciLayout.IndexPath(root);
        if (!File.Exists(path))
            return [];
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not valid JSON: {e.Message}", e);
        }
        using (doc)
        {
            var entries = new List<IndexEntry>();
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("manifests", out JsonElement manifests)
                || manifests.ValueKind != JsonValueKind.Array)
                return entries;
            foreach (JsonElement m in manifests.EnumerateArray())
            {
                string? digest = OciLayout.GetString(m, "digest");
                if (digest is null || !m.TryGetProperty("annotations", out JsonElement annotations))
                    continue;
                string? name = OciLayout.GetString(annotations, OciLayout.RefNameAnnotation)
                               ?? OciLayout.GetString(annotations, OciLayout.ContainerdNameAnnotation);
                if (name is null || !ImageReference.TryParse(name, out ImageReference? parsed))
                    continue;
                long? size = m.TryGetProperty("size", out JsonElement s) && s.TryGetInt64(out long n) ? n : null;
                entries.Add(new IndexEntry(parsed!.ToString(), OciLayout.GetString(m, "mediaType") ?? OciLayout.ManifestMediaType, digest, size));
            }
            return entries;
        }
    }

    /// <summary>Points each of <paramref name="references"/> (normalized) at a manifest, replacing earlier entries of those names.</summary>
    internal static void Tag(string root, IReadOnlyCollection<string> references, string manifestDigest, long manifestSize)
    {
        Rewrite(root, manifests =>
        {
            RemoveNamed(manifests, references.ToHashSet(StringComparer.Ordinal));
            foreach (string reference in references)
            {
                manifests.Add((JsonNode)new JsonObject
                {
                    ["mediaType"] = OciLayout.ManifestMediaType,
                    ["digest"] = manifestDigest,
                    ["size"] = manifestSize,
                    ["annotations"] = new JsonObject { [OciLayout.RefNameAnnotation] = reference },
                });
            }
        });
    }

    /// <summary>Removes the entries of these references; returns those that were there.</summary>
    internal static IReadOnlyList<string> Untag(string root, IReadOnlyCollection<string> references)
    {
        var removed = new List<string>();
        if (!File.Exists(OciLayout.IndexPath(root)))
            return removed;
        Rewrite(root, manifests => removed.AddRange(RemoveNamed(manifests, references.ToHashSet(StringComparer.Ordinal))));
        return removed;
    }

    private static List<string> RemoveNamed(JsonArray manifests, HashSet<string> names)
    {
        var removed = new List<string>();
        for (int i = manifests.Count - 1; i >= 0; i--)
        {
            JsonNode? annotations = manifests[i]?["annotations"];
            string? name = Str(annotations?[OciLayout.RefNameAnnotation]) ?? Str(annotations?[OciLayout.ContainerdNameAnnotation]);
            if (name is not null && ImageReference.TryParse(name, out ImageReference? parsed) && names.Contains(parsed!.ToString()))
            {
                removed.Add(parsed.ToString());
                manifests.RemoveAt(i);
            }
        }
        return removed;
    }

    private static string? Str(JsonNode? node) => node is JsonValue v && v.TryGetValue(out string? s) ? s : null;

    private static void Rewrite(string root, Action<JsonArray> change)
    {
        string indexPath = OciLayout.IndexPath(root);
        JsonObject index;
        if (File.Exists(indexPath))
        {
            try
            {
                index = JsonNode.Parse(File.ReadAllBytes(indexPath)) as JsonObject
                        ?? throw new InvalidDataException($"{indexPath} is not a JSON object");
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{indexPath} is not valid JSON: {e.Message}", e);
            }
        }
        else
        {
            index = new JsonObject { ["schemaVersion"] = 2, ["mediaType"] = OciLayout.IndexMediaType };
        }
        if (index["manifests"] is not JsonArray manifests)
        {
            manifests = [];
            index["manifests"] = manifests;
        }
        change(manifests);
        OciImageWriter.WriteAtomically(indexPath, OciImageWriter.Json(w => index.WriteTo(w)));
    }
}
