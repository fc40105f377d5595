using PodShim.Interop;
using PodShim.Interop.Syscalls;
using PodShim.Runtime.Containers;

namespace PodShim.Runtime.Volumes;

/// <summary>
/// volumeMounts[].subPath, as the kubelet makes it safe (CVE-2017-1002101): the path is resolved
/// inside the volume (symlinks that stay inside are followed, as on a node; one that leads out is
/// refused), then opened component by component beneath the volume without following any
/// symlink, so a container that swaps a directory for a symlink meanwhile makes the open fail
/// instead of redirecting it. The open descriptor is bind-mounted (through /proc/self/fd) onto
/// <c>&lt;pod&gt;/volume-subpaths/&lt;volume&gt;/&lt;container&gt;/&lt;index&gt;</c>, and the container mounts that.
/// </summary>
public sealed class SubPathMounts(string podDirectory, ISyscalls sys, Action<string> trackMount)
{
    private readonly HashSet<string> _bound = new(StringComparer.Ordinal);

    public string Directory => Path.Combine(podDirectory, "volume-subpaths");

    /// <summary>Binds volume/subPath for one volumeMount of a container; returns the path to mount from and whether it is a file.</summary>
    public (string Source, bool IsFile) Bind(string volumeName, string volumeRoot, string subPath, string container, int index)
    {
        using SafeFdHandle fd = Open(volumeRoot, subPath, volumeName);
        EntryStatus st = BeneathDirectory.StatHandle(fd, $"{volumeRoot}/{subPath}");
        bool isFile = !st.IsDirectory;
        string target = Path.Combine(Directory, volumeName, container, index.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (_bound.Remove(target))
            sys.Unmount(target, detach: true);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        if (isFile)
        {
            if (System.IO.Directory.Exists(target))
                System.IO.Directory.Delete(target);
            if (!File.Exists(target))
                File.WriteAllBytes(target, []);
        }
        else
        {
            if (File.Exists(target))
                File.Delete(target);
            System.IO.Directory.CreateDirectory(target);
        }
        sys.Mount($"/proc/self/fd/{fd.Fd}", target, null, MountFlags.Bind, null);
        _bound.Add(target);
        trackMount(target);
        return (target, isFile);
    }

    /// <summary>Opens volume/subPath (O_PATH), creating missing directories, never leaving the volume.</summary>
    public static SafeFdHandle Open(string volumeRoot, string subPath, string volumeName)
    {
        string volume = RealPath(volumeRoot);
        if (BeneathDirectory.StatPath(volume, follow: false) is not { IsDirectory: true })
            throw new ContainerConfigException($"subPath \"{subPath}\" of volume \"{volumeName}\": the volume is not a directory");
        string resolved = Resolve(volume, subPath, volumeName);
        string rel = resolved.Length == volume.Length ? "" : resolved[(volume.Length + 1)..];
        try
        {
            using var root = BeneathDirectory.Open(volume);
            CreateMissing(root, rel);
            return root.OpenPath(rel);
        }
        catch (NativeException e) when (e.ErrorNumber is Errno.ELOOP or Errno.EXDEV or Errno.ENOTDIR)
        {
            throw new ContainerConfigException($"subPath \"{subPath}\" of volume \"{volumeName}\" changed while it was opened (a symlink appeared on the way); refused");
        }
    }

    /// <summary>filepath.EvalSymlinks of volume/subPath as the host sees it, missing components kept as they are;
    /// the result must stay inside the volume.</summary>
    internal static string Resolve(string volume, string subPath, string volumeName)
    {
        var pending = new List<string>(subPath.Split('/', StringSplitOptions.RemoveEmptyEntries));
        if (pending.Any(p => p == ".."))
            throw new ContainerConfigException($"subPath \"{subPath}\" of volume \"{volumeName}\" must be a relative path without \"..\"");
        string current = volume;
        int links = 0;
        while (pending.Count > 0)
        {
            string part = pending[0];
            pending.RemoveAt(0);
            if (part == ".")
                continue;
            if (part == "..")
            {
                current = Path.GetDirectoryName(current) ?? "/";
                continue;
            }
            string candidate = current == "/" ? "/" + part : current + "/" + part;
            EntryStatus? st = BeneathDirectory.StatPath(candidate, follow: false);
            if (st is null)
            {
                // Missing from here on: created below, inside the volume.
                current = string.Join('/', [candidate, .. pending]);
                break;
            }
            if (st.Value.IsSymlink)
            {
                if (++links > 40)
                    throw new ContainerConfigException($"subPath \"{subPath}\" of volume \"{volumeName}\": too many levels of symbolic links");
                string target = new FileInfo(candidate).LinkTarget ?? "";
                if (target.StartsWith('/'))
                    current = "/";
                pending.InsertRange(0, target.Split('/', StringSplitOptions.RemoveEmptyEntries));
                continue;
            }
            current = candidate;
        }
        if (current != volume && !current.StartsWith(volume + "/", StringComparison.Ordinal))
            throw new ContainerConfigException($"subPath \"{subPath}\" of volume \"{volumeName}\" leads to {current}, outside the volume; refused");
        return current;
    }

    private static void CreateMissing(BeneathDirectory root, string rel)
    {
        if (rel.Length == 0)
            return;
        string done = "";
        foreach (string part in rel.Split('/'))
        {
            using (BeneathDirectory at = root.OpenDirectory(done))
            {
                if (at.Stat(part) is null && at.CreateDirectory(part, 0b111_101_101))
                {
                    using BeneathDirectory created = at.OpenDirectory(part);
                    BeneathDirectory.SetMode(created.Handle, 0b111_101_101, created.Path);
                }
            }
            done = done.Length == 0 ? part : done + "/" + part;
        }
    }

    private static string RealPath(string path)
    {
        string full = Path.GetFullPath(path);
        var info = new DirectoryInfo(full);
        if (info.LinkTarget is not null)
            return Path.GetFullPath(info.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? full);
        return full;
    }
}
