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

    /// <summary>The pid of the pod's live supervisor, or null.</summary>
    public static int? LiveSupervisor(PodPaths paths)
    {
        try
        {
            int pid = int.Parse(File.ReadAllText(paths.SupervisorPid).Trim(), CultureInfo.InvariantCulture);
            return Directory.Exists($"/proc/{pid}") && pid != Environment.ProcessId ? pid : null;
        }
        catch (Exception e) when (e is IOException or FormatException)
        {
            return null;
        }
    }

    /// <summary>
    /// Removes a pod whose supervisor is gone: what may remain of it (holder, containers, mounts)
    /// is stopped and unmounted first.
    /// </summary>
    public static void Remove(PodPaths paths, ISyscalls sys)
    {
        if (!Directory.Exists(paths.Directory))
            return;
        var pids = new List<string> { paths.HolderPid };
        if (Directory.Exists(paths.ContainersDirectory))
            pids.AddRange(Directory.EnumerateFiles(paths.ContainersDirectory, "container.pid", SearchOption.AllDirectories)
                .Where(f => !File.Exists(Path.Combine(Path.GetDirectoryName(f)!, "exit.json"))));
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
        Directory.Delete(paths.Directory, recursive: true);
    }

    private static IEnumerable<string> MountsUnder(string directory)
    {
        string prefix = directory.TrimEnd('/') + "/";
        return File.ReadLines("/proc/self/mountinfo").Select(l => l.Split(' ')[4]).Where(m => m.StartsWith(prefix, StringComparison.Ordinal)).ToList();
    }
}
