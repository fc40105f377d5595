using PodShim.Interop;

namespace PodShim.Runtime.Cgroups;

/// <summary>
/// The file operations of the cgroup manager, behind a seam: unit tests run the manager against a
/// temporary directory laid out like /sys/fs/cgroup, where removing a cgroup (rmdir on cgroupfs, whose
/// interface files vanish with it) has to be imitated.
/// </summary>
public interface ICgroupFileSystem
{
    /// <summary>The file's text, or null when it does not exist.</summary>
    string? ReadText(string path);
    // Errors other than "missing" are NativeExceptions naming the call and the path (crun style).
    /// <summary>One write of the whole value to an existing interface file.</summary>
    void WriteText(string path, string value);
    bool FileExists(string path);
    bool DirectoryExists(string path);
    IEnumerable<string> ChildDirectories(string path);
    void CreateDirectory(string path);
    /// <summary>rmdir. False when it did not exist; throws (EBUSY) while processes are in it.</summary>
    bool RemoveDirectory(string path);
    /// <summary>A directory fd for CLONE_INTO_CGROUP.</summary>
    SafeFdHandle OpenDirectory(string path);
}

/// <summary>The real cgroupfs.</summary>
public sealed class CgroupFileSystem : ICgroupFileSystem
{
    public static readonly CgroupFileSystem Instance = new();

    public string? ReadText(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    public void WriteText(string path, string value) => Posix.WriteExistingFile(path, value);

    public bool FileExists(string path) => File.Exists(path);

    public bool DirectoryExists(string path) => Directory.Exists(path);

    public IEnumerable<string> ChildDirectories(string path) =>
        Directory.Exists(path) ? Directory.EnumerateDirectories(path) : [];

    public void CreateDirectory(string path) => Posix.CreateDirectory(path);

    public bool RemoveDirectory(string path) => Posix.RemoveDirectory(path);

    public SafeFdHandle OpenDirectory(string path) => Posix.OpenDirectory(path);
}
