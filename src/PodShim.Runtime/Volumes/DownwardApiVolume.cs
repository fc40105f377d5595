using System.Text;
using PodShim.Manifest;

namespace PodShim.Runtime.Volumes;

/// <summary>The files of a downwardAPI volume, or of the downwardAPI sources of a projected volume.</summary>
public static class DownwardApiVolume
{
    public static IReadOnlyList<VolumeFile> Files(Pod pod, IReadOnlyList<DownwardAPIVolumeFile> items, int defaultMode, DownwardContext context)
    {
        var files = new List<VolumeFile>(items.Count);
        foreach (DownwardAPIVolumeFile item in items)
        {
            string value;
            if (item.FieldRef is { } field)
            {
                value = EnvExpansion.FieldValue(pod, field.FieldPath, context);
            }
            else if (item.ResourceFieldRef is { } resource)
            {
                // A volume's resourceFieldRef names its container (validation requires it).
                Container container = pod.Spec.AllContainers.FirstOrDefault(c => c.Name == resource.ContainerName)
                    ?? pod.Spec.Containers[0];
                value = EnvExpansion.ResourceValue(pod, container, resource, context);
            }
            else
            {
                continue;
            }
            files.Add(new VolumeFile(item.Path, Encoding.UTF8.GetBytes(value), item.Mode ?? defaultMode));
        }
        return files;
    }
}
