namespace PodShim.Manifest;

public static partial class PodValidation
{
    private static void ValidatePod(Pod pod, ErrorList errs)
    {
        if (string.IsNullOrEmpty(pod.Metadata.Name)) errs.Required("metadata.name", "name or generateName is required");
        if (pod.Spec.Containers.Count == 0) errs.Required("spec.containers");
        for (int i = 0; i < pod.Spec.InitContainers.Count; i++)
            if (string.IsNullOrEmpty(pod.Spec.InitContainers[i].Name)) errs.Required($"spec.initContainers[{i}].name");
        for (int i = 0; i < pod.Spec.Containers.Count; i++)
            if (string.IsNullOrEmpty(pod.Spec.Containers[i].Name)) errs.Required($"spec.containers[{i}].name");
    }
}
