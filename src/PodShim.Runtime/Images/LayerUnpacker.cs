using System.Formats.Tar;
using System.Runtime.Versioning;

namespace PodShim.Runtime.Images;

/// <summary>
/// Unpacks an uncompressed layer tar into a new directory, preserving modes, ownership (when
/// running as root), symlinks and hard links. Entries can never write outside the directory:
/// names are normalized and <c>..</c> rejected, and no parent of an entry may be a symlink.
/// Device nodes, FIFOs and sockets are skipped (the runtime provides <c>/dev</c>).
/// Whiteouts (<c>.wh.*</c>) are not interpreted yet: they are written as plain files.
/// </summary>
[SupportedOSPlatform("linux")]
internal static class LayerUnpacker
{
    /// <summary>Unpacks into <paramref name="destDir"/>, which must not exist; written to a
    /// temporary sibling and renamed into place, so the directory is complete or absent.</summary>
    internal static void UnpackToNewDirectory(string tarPath, string destDir)
    {
        string tmp = $"{destDir}.tmp-{Guid.NewGuid():N}";
        try
        {
            using (FileStream stream = File.OpenRead(tarPath))
                Unpack(stream, tmp);
            Directory.Move(tmp, destDir);
        }
        catch
        {
            TryDeleteTree(tmp);
            throw;
        }
    }

    internal static void Unpack(Stream tar, string destDir)
    {
        Directory.CreateDirectory(destDir);
        string root = Path.GetFullPath(destDir);
        bool chown = Environment.IsPrivilegedProcess;
        var dirs = new List<(string Path, TarEntry Entry)>();
        var knownDirs = new HashSet<string>(StringComparer.Ordinal) { root };

        using var reader = new TarReader(tar);
        while (reader.GetNextEntry() is { } entry)
        {
            string? rel = NormalizeName(entry.Name);
            if (rel is null)
                throw new InvalidDataException($"layer entry \"{entry.Name}\" escapes the layer root");
            if (rel.Length == 0)
            {
                if (entry.EntryType == TarEntryType.Directory)
                    dirs.Add((root, entry));
                continue;
            }
            string path = Path.Combine(root, rel);
            EnsureParents(root, path, knownDirs);

            bool exists = ImageLibc.TryLstat(path, out ImageLibc.StatInfo existing);
            if (exists && !(existing.IsDirectory && entry.EntryType == TarEntryType.Directory))
            {
                // A later entry replaces an earlier one.
                if (existing.IsDirectory)
                {
                    Directory.Delete(path, recursive: true);
                    knownDirs.RemoveWhere(d => d == path || d.StartsWith(path + "/", StringComparison.Ordinal));
                }
                else
                {
                    File.Delete(path);
                }
                exists = false;
            }

            switch (entry.EntryType)
            {
                case TarEntryType.Directory:
                    if (!exists)
                        Directory.CreateDirectory(path);
                    knownDirs.Add(path);
                    dirs.Add((path, entry));
                    if (chown)
                        ImageLibc.Lchown(path, (uint)entry.Uid, (uint)entry.Gid);
                    break;

                case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                    using (var fs = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None))
                        entry.DataStream?.CopyTo(fs);
                    if (chown)
                        ImageLibc.Lchown(path, (uint)entry.Uid, (uint)entry.Gid);
                    // After chown, which clears set-id bits.
                    File.SetUnixFileMode(path, entry.Mode);
                    File.SetLastWriteTimeUtc(path, entry.ModificationTime.UtcDateTime);
                    break;

                case TarEntryType.SymbolicLink:
                    File.CreateSymbolicLink(path, entry.LinkName);
                    if (chown)
                        ImageLibc.Lchown(path, (uint)entry.Uid, (uint)entry.Gid);
                    break;

                case TarEntryType.HardLink:
                    string? target = NormalizeName(entry.LinkName);
                    if (string.IsNullOrEmpty(target))
                        throw new InvalidDataException($"layer entry \"{entry.Name}\" is a hard link to \"{entry.LinkName}\", outside the layer root");
                    string targetPath = Path.Combine(root, target);
                    EnsureParents(root, targetPath, knownDirs);
                    if (!ImageLibc.TryLstat(targetPath, out ImageLibc.StatInfo t) || !t.IsRegularFile)
                        throw new InvalidDataException($"layer entry \"{entry.Name}\" is a hard link to \"{entry.LinkName}\", which is not a regular file of the layer");
                    ImageLibc.Link(targetPath, path);
                    break;

                default:
                    // Device nodes, FIFOs, sockets: not needed in a layer.
                    break;
            }
        }

        // Directory modes last (a read-only directory must still get its contents), deepest first.
        for (int i = dirs.Count - 1; i >= 0; i--)
        {
            (string path, TarEntry entry) = dirs[i];
            File.SetUnixFileMode(path, entry.Mode);
            Directory.SetLastWriteTimeUtc(path, entry.ModificationTime.UtcDateTime);
        }
    }

    /// <summary>The entry name relative to the layer root ("" for the root itself), or null if it escapes.</summary>
    internal static string? NormalizeName(string name)
    {
        var parts = new List<string>();
        foreach (string part in name.Split('/'))
        {
            if (part.Length == 0 || part == ".")
                continue;
            if (part == "..")
                return null;
            parts.Add(part);
        }
        return string.Join('/', parts);
    }

    /// <summary>Creates missing parents (0755) and refuses a parent that is not a real directory.</summary>
    private static void EnsureParents(string root, string path, HashSet<string> knownDirs)
    {
        string? parent = Path.GetDirectoryName(path);
        if (parent is null || knownDirs.Contains(parent))
            return;
        EnsureParents(root, parent, knownDirs);
        if (ImageLibc.TryLstat(parent, out ImageLibc.StatInfo st))
        {
            if (!st.IsDirectory)
                throw new InvalidDataException($"layer entry under \"{Path.GetRelativePath(root, parent)}\", which is not a directory (a symlink cannot redirect an entry)");
        }
        else
        {
            Directory.CreateDirectory(parent);
            File.SetUnixFileMode(parent, (UnixFileMode)0b111_101_101);
        }
        knownDirs.Add(parent);
    }

    internal static void TryDeleteTree(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                MakeWritable(path);
                Directory.Delete(path, recursive: true);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static void MakeWritable(string dir)
    {
        File.SetUnixFileMode(dir, File.GetUnixFileMode(dir) | UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        foreach (string sub in Directory.EnumerateDirectories(dir))
        {
            if (ImageLibc.TryLstat(sub, out ImageLibc.StatInfo st) && st.IsDirectory)
                MakeWritable(sub);
        }
    }
}
