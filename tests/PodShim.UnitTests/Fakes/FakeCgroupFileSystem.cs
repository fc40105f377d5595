using PodShim.Interop;
using PodShim.Runtime.Cgroups;

namespace PodShim.UnitTests.Fakes;

/// <summary>
/// A cgroup v2 hierarchy imitated in a temporary directory: a new cgroup gets the interface files of the
/// controllers its parent enables (so a value for a controller that was not enabled fails with ENOENT,
/// as on cgroupfs), cgroup.subtree_control takes "+ctrl" lists, cgroup.kill empties cgroup.procs, and
/// rmdir refuses (EBUSY) a cgroup with processes or children but takes its interface files with it.
/// </summary>
public sealed class FakeCgroupFileSystem : ICgroupFileSystem
{
    private readonly List<(string Path, string Value)> _writes = new();

    /// <summary>Lays out <paramref name="root"/> like /sys/fs/cgroup with the given controllers.</summary>
    public FakeCgroupFileSystem(string root, string controllers = "cpuset cpu io memory hugetlb pids rdma misc", bool swap = true, bool killFile = true)
    {
        Root = root;
        Swap = swap;
        KillFile = killFile;
        Directory.CreateDirectory(root);
        File.WriteAllText(System.IO.Path.Combine(root, "cgroup.controllers"), controllers + "\n");
        File.WriteAllText(System.IO.Path.Combine(root, "cgroup.subtree_control"), "\n");
        File.WriteAllText(System.IO.Path.Combine(root, "cgroup.procs"), "1\n");
    }

    public string Root { get; }
    public bool Swap { get; }
    public bool KillFile { get; }
    public IReadOnlyList<(string Path, string Value)> Writes => _writes;
    /// <summary>When set, a write to a path it matches fails with this errno.</summary>
    public Func<string, int?>? FailWrite { get; set; }

    public string? ReadText(string path) => File.Exists(path) ? File.ReadAllText(path) : null;

    public void WriteText(string path, string value)
    {
        _writes.Add((path, value));
        if (!File.Exists(path))
            throw new NativeException("open", path, Errno.ENOENT);
        if (FailWrite?.Invoke(path) is int errno)
            throw new NativeException("write", path, errno);
        string name = System.IO.Path.GetFileName(path);
        string dir = System.IO.Path.GetDirectoryName(path)!;
        switch (name)
        {
            case "cgroup.subtree_control":
                var available = Words(System.IO.Path.Combine(dir, "cgroup.controllers"));
                var enabled = Words(path).ToList();
                foreach (string item in value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    string controller = item[1..];
                    if (!available.Contains(controller))
                        throw new NativeException("write", path, Errno.EINVAL);
                    if (item[0] == '+' && !enabled.Contains(controller))
                        enabled.Add(controller);
                    else if (item[0] == '-')
                        enabled.Remove(controller);
                }
                File.WriteAllText(path, string.Join(' ', enabled) + "\n");
                break;
            case "cgroup.procs":
                File.AppendAllText(path, value.Trim() + "\n");
                break;
            case "cgroup.kill":
                File.WriteAllText(System.IO.Path.Combine(dir, "cgroup.procs"), "");
                break;
            default:
                File.WriteAllText(path, value.Trim() + "\n");
                break;
        }
    }

    public bool FileExists(string path) => File.Exists(path);

    public bool DirectoryExists(string path) => Directory.Exists(path);

    public IEnumerable<string> ChildDirectories(string path) => Directory.Exists(path) ? Directory.EnumerateDirectories(path) : [];

    public void CreateDirectory(string path)
    {
        if (Directory.Exists(path))
            return;
        string parent = System.IO.Path.GetDirectoryName(path)!;
        if (!Directory.Exists(parent))
            throw new NativeException("mkdir", path, Errno.ENOENT);
        Directory.CreateDirectory(path);
        string[] controllers = Words(System.IO.Path.Combine(parent, "cgroup.subtree_control"));
        void Put(string file, string text) => File.WriteAllText(System.IO.Path.Combine(path, file), text);
        Put("cgroup.controllers", string.Join(' ', controllers) + "\n");
        Put("cgroup.subtree_control", "\n");
        Put("cgroup.procs", "");
        Put("cgroup.events", "populated 0\nfrozen 0\n");
        if (KillFile)
            Put("cgroup.kill", "");
        if (controllers.Contains("cpu"))
        {
            Put("cpu.max", "max 100000\n");
            Put("cpu.weight", "100\n");
        }
        if (controllers.Contains("memory"))
        {
            Put("memory.max", "max\n");
            Put("memory.high", "max\n");
            Put("memory.oom.group", "0\n");
            Put("memory.events", "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n");
            if (Swap)
                Put("memory.swap.max", "max\n");
        }
        if (controllers.Contains("pids"))
            Put("pids.max", "max\n");
    }

    public bool RemoveDirectory(string path)
    {
        if (!Directory.Exists(path))
            return false;
        if (Directory.EnumerateDirectories(path).Any() || (ReadText(System.IO.Path.Combine(path, "cgroup.procs")) ?? "").Trim().Length > 0)
            throw new NativeException("rmdir", path, Errno.EBUSY);
        Directory.Delete(path, recursive: true);
        return true;
    }

    public SafeFdHandle OpenDirectory(string path) => Posix.OpenDirectory(path);

    /// <summary>Puts a (pretend) process into a cgroup, as a fork inside it would.</summary>
    public void AddProcess(string cgroup, int pid) => File.AppendAllText(System.IO.Path.Combine(cgroup, "cgroup.procs"), $"{pid}\n");

    public string Value(string cgroup, string file) => File.ReadAllText(System.IO.Path.Combine(cgroup, file)).Trim();

    private static string[] Words(string file) =>
        File.Exists(file) ? File.ReadAllText(file).Split((char[])[' ', '\n'], StringSplitOptions.RemoveEmptyEntries) : [];
}
