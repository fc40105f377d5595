using PodShim.Manifest;
using PodShim.Runtime.Kubectl;
using PodShim.Runtime.Pods;
using PodShim.Runtime.State;
using PodShim.Runtime.Status;

namespace PodShim.Cli.Support;

/// <summary>What `apply` and `run -d` do with a Pod: create it and start its detached supervisor, or compare it with the stored one.</summary>
internal static class PodCreation
{
    public enum Outcome { Created, Unchanged, Configured }

    /// <summary>
    /// A new pod is stored and its supervisor started (the command does not wait for it). An existing pod with the
    /// same spec is unchanged (new labels or annotations: configured); a different spec is refused as the API server
    /// refuses most pod updates.
    /// </summary>
    public static Outcome Apply(StateLayout layout, Pod pod, string manifestText)
    {
        PodValidation.ThrowIfInvalid(pod);
        PodPaths paths = layout.Pod(pod.Metadata.Namespace, pod.Metadata.Name);
        if (StoredPod.Find(layout, pod.Metadata.Namespace, pod.Metadata.Name) is { } existing)
            return Update(existing, pod, manifestText);
        PodStore.CreatePod(paths, pod, manifestText, DateTimeOffset.UtcNow);
        SupervisorProcess.Launch(layout, pod.Metadata.Namespace, pod.Metadata.Name);
        return Outcome.Created;
    }

    private static Outcome Update(StoredPod existing, Pod pod, string manifestText)
    {
        Pod stored = existing.Pod;
        string Spec(Pod p) => ObjectPrinter.Json(PodObject.Build(p, existing.Record, new PodStatusInfo())["spec"]!);
        if (Spec(stored) != Spec(pod))
            throw new KubectlException($"The Pod \"{pod.Metadata.Name}\" is invalid: spec: Forbidden: pod updates may not change fields other than " +
                "`spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations)," +
                "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)");
        if (SameMap(stored.Metadata.Labels, pod.Metadata.Labels) && SameMap(stored.Metadata.Annotations, pod.Metadata.Annotations))
            return Outcome.Unchanged;
        // Only metadata changed: the stored manifest and summary take it (the running pod is not touched).
        File.WriteAllText(existing.Paths.Manifest, manifestText);
        AtomicFile.WriteAllText(existing.Paths.Record, (existing.Record with { Labels = pod.Metadata.Labels }).Serialize());
        return Outcome.Configured;
    }

    private static bool SameMap(IReadOnlyDictionary<string, string> a, IReadOnlyDictionary<string, string> b) =>
        a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out string? v) && v == kv.Value);

    public static string Verb(Outcome outcome) => outcome switch
    {
        Outcome.Created => "created",
        Outcome.Unchanged => "unchanged",
        _ => "configured",
    };
}
