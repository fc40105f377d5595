using PodShim.Interop;
using PodShim.Manifest;

namespace PodShim.Runtime.Volumes;

/// <summary>emptyDir sizing and usage, as the kubelet computes them.</summary>
public static class EmptyDirVolume
{
    /// <summary>
    /// The size of a memory-backed emptyDir (kubelet calculateEmptyDirMemorySize): the node's memory,
    /// lowered to the pod's memory limit and then to the volume's sizeLimit, each only when positive and smaller.
    /// </summary>
    public static long MemorySize(Pod pod, Quantity? sizeLimit, long nodeMemory)
    {
        long size = nodeMemory;
        if (PodResources.Compute(pod.Spec).PodCgroup.MemoryMax is long podLimit && podLimit > 0 && podLimit <= size)
            size = podLimit;
        if (sizeLimit is { } limit && limit.Value > 0 && limit.Value <= size)
            size = limit.Value;
        return size;
    }

    /// <summary>
    /// Disk usage of a directory tree as du counts it: allocated blocks, each inode once, without
    /// following symlinks or crossing into another filesystem.
    /// </summary>
    public static long DiskUsage(string directory)
    {
        using var root = BeneathDirectory.Open(directory);
        EntryStatus self = root.StatSelf();
        var seen = new HashSet<ulong>();
        return self.Blocks * 512 + Walk(root, self.DeviceMajor, self.DeviceMinor, seen);
    }

    private static long Walk(BeneathDirectory dir, uint major, uint minor, HashSet<ulong> seen)
    {
        long total = 0;
        foreach (string name in dir.List())
        {
            if (dir.Stat(name) is not { } st)
                continue;
            if (st.DeviceMajor != major || st.DeviceMinor != minor)
                continue;
            if (st.LinkCount > 1 && !st.IsDirectory && !seen.Add(st.Inode))
                continue;
            total += st.Blocks * 512;
            if (st.IsDirectory)
            {
                try
                {
                    using BeneathDirectory sub = dir.OpenDirectory(name);
                    total += Walk(sub, major, minor, seen);
                }
                catch (NativeException e) when (e.ErrorNumber is Errno.ENOENT or Errno.ELOOP or Errno.ENOTDIR or Errno.EACCES)
                {
                    // Changed while we walked: counted at the next check.
                }
            }
        }
        return total;
    }
}
