using System.Globalization;
using PodShim.Interop;
using PodShim.Interop.Syscalls;
using PodShim.Runtime.State;

namespace PodShim.Runtime.Pods;

/// <summary>The pods under a root: creating a pod's directory, finding its supervisor, removing it.</summary>
public static class PodStore
{
    /// <summary>Takes a new pod's directory; kubectl's AlreadyExists error when the name is taken.</summary>
    public static void Create(PodPaths paths, string name)
    {
        if (Directory.Exists(paths.Directory))
            throw new PodRunException($"Error from server (AlreadyExists): pods \"{name}\" already exists");
        Directory.CreateDirectory(paths.Directory);
    }

    /// <summary>
    /// Creates a pod under the root as the API server would store it: its directory (AlreadyExists when taken), the
    /// manifest as submitted, meta.json (uid, creation time, node) and a first status (Pending).
    /// </summary>
    public static void CreatePod(PodPaths paths, Manifest.Pod pod, string manifestText, DateTimeOffset created)
    {
        Create(paths, pod.Metadata.Name);
        File.WriteAllText(paths.Manifest, manifestText);
        AtomicFile.WriteAllText(paths.Record, PodRecord.For(pod, created, Lifecycle.PodLifecycle.NodeName).Serialize());
        if (!File.Exists(paths.Status))
            AtomicFile.WriteAllText(paths.Status, Status.PodStatusJson.Serialize(new Status.PodStatusInfo()));
    }

    /// <summary>The pid of the pod's live supervisor (pid and start time both match), or null.</summary>
    public static int? LiveSupervisor(PodPaths paths) =>
        SupervisorRecord.LivePid(paths) is int pid && pid != Environment.ProcessId ? pid : null;

    /// <summary>
    /// Removes a pod whose supervisor is gone: what may remain of it (holder, containers, mounts)
    /// is stopped and unmounted first.
    /// </summary>
    public static void Remove(PodPaths paths, ISyscalls sys)
    {
        if (!Directory.Exists(paths.Directory))
            return;
        var pids = new List<string> { paths.HolderPid };
        pids.AddRange(paths.ExistingAttempts().Where(a => File.Exists(a.ContainerPid) && !File.Exists(a.Exit)).Select(a => a.ContainerPid));
        foreach (string file in pids)
        {
            try
            {
                int pid = int.Parse(File.ReadAllText(file).Trim(), CultureInfo.InvariantCulture);
                sys.Kill(pid, Posix.SIGKILL);
            }
            catch (Exception e) when (e is IOException or FormatException)
            {
            }
        }
        foreach (string mount in MountsUnder(paths.Directory).Reverse())
            sys.Unmount(mount, detach: true);
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                Directory.Delete(paths.Directory, recursive: true);
                return;
            }
            catch (DirectoryNotFoundException)
            {
                return; // removed meanwhile by its supervisor (it removes a deleted pod itself)
            }
            catch (IOException) when (attempt < 3)
            {
                // A file written meanwhile (a delete request, a probe of the lock): the directory was not empty yet.
                Thread.Sleep(50);
            }
        }
    }

    internal static IEnumerable<string> MountsUnder(string directory)
    {
        string prefix = directory.TrimEnd('/') + "/";
        return File.ReadLines("/proc/self/mountinfo").Select(l => l.Split(' ')[4]).Where(m => m.StartsWith(prefix, StringComparison.Ordinal)).ToList();
    }
}
