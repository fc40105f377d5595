using PodShim.Manifest;
using PodShim.Runtime.State;
using PodShim.Runtime.Status;

namespace PodShim.Runtime.Pods;

/// <summary>
/// A pod as its state directory holds it, read without ever asking (or waiting for) its supervisor: meta.json, then
/// status.json and the manifest only when asked for. Every file is written by temp file + rename, so each read sees
/// one whole version.
/// </summary>
public sealed class StoredPod
{
    private PodStatusInfo? _status;
    private Pod? _pod;

    private StoredPod(PodPaths paths, PodRecord record)
    {
        Paths = paths;
        Record = record;
    }

    public PodPaths Paths { get; }
    public PodRecord Record { get; }
    public string Name => Record.Name;
    public string Namespace => Record.Namespace;

    public PodStatusInfo Status => _status ??= ReadStatus(Paths);

    /// <summary>The pod as submitted, with its stored uid (the full spec: describe, -o yaml, exec).</summary>
    public Pod Pod => _pod ??= LoadManifest(Paths, Record);

    public static StoredPod? Find(StateLayout layout, string @namespace, string name)
    {
        PodPaths paths = layout.Pod(@namespace, name);
        return Open(paths);
    }

    /// <summary>Every pod of a namespace (all namespaces when null), ordered by namespace and name as the API lists them.</summary>
    public static IReadOnlyList<StoredPod> List(StateLayout layout, string? @namespace)
    {
        if (!Directory.Exists(layout.PodsDirectory))
            return [];
        var pods = new List<StoredPod>();
        foreach (string dir in Directory.EnumerateDirectories(layout.PodsDirectory))
        {
            string leaf = Path.GetFileName(dir);
            int sep = leaf.IndexOf('_');
            if (sep <= 0 || (@namespace is not null && leaf[..sep] != @namespace))
                continue;
            if (Open(new PodPaths(dir)) is { } pod)
                pods.Add(pod);
        }
        pods.Sort((a, b) => a.Namespace != b.Namespace ? string.CompareOrdinal(a.Namespace, b.Namespace) : string.CompareOrdinal(a.Name, b.Name));
        return pods;
    }

    private static StoredPod? Open(PodPaths paths)
    {
        if (!Directory.Exists(paths.Directory))
            return null;
        if (PodRecord.TryRead(paths) is { } record)
            return new StoredPod(paths, record);
        // A pod made before meta.json existed, or whose creation was cut short: described from its manifest.
        try
        {
            Pod pod = LoadManifest(paths, null);
            var made = new DateTimeOffset(Directory.GetCreationTimeUtc(paths.Directory), TimeSpan.Zero);
            return new StoredPod(paths, PodRecord.For(pod, made, Lifecycle.PodLifecycle.NodeName)) { _pod = pod };
        }
        catch (Exception e) when (e is IOException or ManifestException or InvalidDataException)
        {
            return null;
        }
    }

    public static PodStatusInfo ReadStatus(PodPaths paths)
    {
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(paths.Status));
            return PodStatusJson.Read(doc.RootElement);
        }
        catch (Exception e) when (e is IOException or System.Text.Json.JsonException or FormatException)
        {
            return new PodStatusInfo();
        }
    }

    private static Pod LoadManifest(PodPaths paths, PodRecord? record)
    {
        string text = File.ReadAllText(paths.Manifest);
        string leaf = Path.GetFileName(paths.Directory);
        int sep = leaf.IndexOf('_');
        string ns = record?.Namespace ?? leaf[..sep], name = record?.Name ?? leaf[(sep + 1)..];
        Pod pod = ManifestLoader.LoadText(text, paths.Manifest).OfType<Pod>()
            .FirstOrDefault(p => p.Metadata.Name == name && p.Metadata.Namespace == ns)
            ?? throw new InvalidDataException($"{paths.Manifest}: no pod {ns}/{name} in it");
        return record is null ? pod : pod with { Metadata = pod.Metadata with { Uid = record.Uid } };
    }
}
