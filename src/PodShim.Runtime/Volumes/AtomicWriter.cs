using System.Globalization;
using PodShim.Runtime.State;

namespace PodShim.Runtime.Volumes;

/// <summary>One file of an API-data volume (downward API, projected, service account): path below the volume, content, mode.</summary>
public sealed record VolumeFile(string Path, byte[] Content, int Mode);

/// <summary>
/// Writes an API-data volume as the kubelet's AtomicWriter lays it out: the files live in a
/// timestamped directory <c>..2006_01_02_15_04_05.NNNNNNNNN</c>, <c>..data</c> links to it, and each
/// top-level name is a symlink into <c>..data</c>. A reader follows <c>..data</c> once, so an
/// update (a new directory, <c>..data</c> swapped by rename) is never seen half done.
/// </summary>
public static class AtomicWriter
{
    public const string DataDirName = "..data";

    public static void Write(string volumeDir, IReadOnlyList<VolumeFile> files, DateTimeOffset now)
    {
        Directory.CreateDirectory(volumeDir);
        string stamp = ".." + UtcText.Underscored(now) + "."
            + Random.Shared.Next(0, 1_000_000_000).ToString("D9", CultureInfo.InvariantCulture);
        string tsDir = Path.Combine(volumeDir, stamp);
        Directory.CreateDirectory(tsDir);
        File.SetUnixFileMode(tsDir, (UnixFileMode)0b111_101_101);
        var topLevel = new SortedSet<string>(StringComparer.Ordinal);
        foreach (VolumeFile file in files)
        {
            string[] parts = file.Path.Split('/', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 0 || parts.Any(p => p is "." or ".." || p.StartsWith("..", StringComparison.Ordinal)))
                throw new ArgumentException($"invalid volume file path \"{file.Path}\"");
            topLevel.Add(parts[0]);
            string target = Path.Combine([tsDir, .. parts]);
            string? parent = Path.GetDirectoryName(target);
            if (parent is not null && parent != tsDir && !Directory.Exists(parent))
            {
                Directory.CreateDirectory(parent);
            }
            File.WriteAllBytes(target, file.Content);
            File.SetUnixFileMode(target, (UnixFileMode)(file.Mode & 0xFFF));
        }
        // ..data is swapped by rename: readers see the old or the new set, never a mix.
        using (var dir = PodShim.Interop.BeneathDirectory.Open(Path.GetFullPath(volumeDir)))
        {
            dir.Remove("..data_tmp");
            dir.CreateSymlink("..data_tmp", stamp);
            dir.Rename("..data_tmp", DataDirName);
        }
        foreach (string name in topLevel)
        {
            string link = Path.Combine(volumeDir, name);
            if (new FileInfo(link).LinkTarget is null)
                File.CreateSymbolicLink(link, Path.Combine(DataDirName, name));
        }
    }
}
