using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using PodShim.Interop;

namespace PodShim.Runtime.Images;

/// <summary>
/// Unpacks one image layer (a tar, gzip-compressed or not) into its own directory, in the form
/// overlayfs stacks as a lower directory: OCI whiteouts (<c>.wh.NAME</c>) become whiteout devices
/// (0:0) and opaque markers (<c>.wh..wh..opq</c>) the <c>trusted.overlay.opaque</c> attribute.
/// Modes, ownership (as root), times, symlinks, hard links and file capabilities are kept.
///
/// Nothing in the layer can write outside the directory: every entry is created through a
/// descriptor of its parent opened beneath the layer root without following any symlink
/// (<see cref="BeneathDirectory"/>); names with <c>..</c> and entries below a symlink are refused;
/// symlinks, absolute or not, are stored as they are and never followed; hard links must point
/// inside the layer; device nodes and sockets are skipped (the runtime provides <c>/dev</c>).
/// The diff_id (sha256 of the uncompressed tar) is computed on the way.
/// </summary>
internal static class LayerUnpacker
{
    internal const string WhiteoutPrefix = ".wh.";
    internal const string OpaqueMarker = ".wh..wh..opq";
    /// <summary>
    /// The opaque-directory attribute: trusted.overlay.opaque as root (what overlayfs reads); an
    /// unprivileged unpack (tests) cannot set trusted.* and uses user.overlay.opaque, which
    /// overlayfs reads when mounted with userxattr.
    /// </summary>
    internal static string OpaqueAttribute => Environment.IsPrivilegedProcess ? "trusted.overlay.opaque" : "user.overlay.opaque";
    private const int DirectoryCreateMode = 0b111_000_000; // 0700 until the entry's own mode is set at the end

    /// <summary>Unpacks <paramref name="blobPath"/> into <paramref name="destDir"/>, which must not exist:
    /// written to a temporary sibling and renamed into place, so the directory is complete or absent.
    /// Returns the diff_id.</summary>
    internal static string UnpackToNewDirectory(string blobPath, string destDir, Action<long>? progress = null)
    {
        string tmp = TemporarySibling(destDir);
        try
        {
            string diffId;
            using (FileStream stream = new(blobPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16))
            using (var counted = new CountingStream(stream, progress))
                diffId = Unpack(counted, tmp);
            Directory.Move(tmp, destDir);
            return diffId;
        }
        catch
        {
            TryDeleteTree(tmp);
            throw;
        }
    }

    internal static string TemporarySibling(string destDir) => $"{destDir}.tmp-{Guid.NewGuid():N}";

    /// <summary>Unpacks a layer stream into <paramref name="destDir"/> (created if missing). Returns the diff_id.</summary>
    /// <exception cref="InvalidDataException">The layer is malformed, unsupported, or tries to escape.</exception>
    internal static string Unpack(Stream layer, string destDir)
    {
        Directory.CreateDirectory(destDir);
        using var root = BeneathDirectory.Open(Path.GetFullPath(destDir));
        using Stream tarStream = Decompress(layer);
        using var hashing = new HashingStream(tarStream);
        var unpacker = new Unpacking(root, Environment.IsPrivilegedProcess);
        try
        {
            using (var reader = new TarReader(hashing, leaveOpen: true))
            {
                while (reader.GetNextEntry() is { } entry)
                    unpacker.Add(entry);
            }
            // The end-of-archive blocks and any padding after them are part of the diff_id.
            hashing.CopyTo(Stream.Null);
            unpacker.Finish();
        }
        catch (NativeException e) when (e.ErrorNumber is Errno.ELOOP or Errno.EXDEV or Errno.ENOTDIR)
        {
            throw new InvalidDataException($"layer entry goes through a symlink ({e.Message}); refused: a layer may not write outside its directory", e);
        }
        catch (Exception e) when (e is FormatException or EndOfStreamException or InvalidOperationException)
        {
            throw new InvalidDataException($"the layer is not a valid tar archive: {e.Message}", e);
        }
        finally
        {
            unpacker.Dispose();
        }
        return hashing.Digest();
    }

    /// <summary>gzip is undone; other compressions are refused with a clear message; a plain tar passes.</summary>
    internal static Stream Decompress(Stream layer)
    {
        byte[] magic = new byte[6];
        int n = ReadFully(layer, magic);
        Stream stream = new PrefixedStream(magic.AsMemory(0, n), layer);
        ReadOnlySpan<byte> m = magic.AsSpan(0, n);
        if (m.StartsWith((ReadOnlySpan<byte>)[0x1f, 0x8b]))
            return new GZipStream(stream, CompressionMode.Decompress);
        if (m.StartsWith((ReadOnlySpan<byte>)[0x28, 0xb5, 0x2f, 0xfd]))
            throw new InvalidDataException("zstd-compressed layers are not supported; re-save the image with gzip or uncompressed layers (e.g. podman save --format oci-archive, or docker save)");
        if (m.StartsWith("BZh"u8))
            throw new InvalidDataException("bzip2-compressed layers are not supported; use gzip or an uncompressed tar");
        if (m.StartsWith((ReadOnlySpan<byte>)[0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))
            throw new InvalidDataException("xz-compressed layers are not supported; use gzip or an uncompressed tar");
        return stream;
    }

    internal static int ReadFully(Stream s, Span<byte> buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int r = s.Read(buffer[total..]);
            if (r == 0)
                break;
            total += r;
        }
        return total;
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

    internal static void TryDeleteTree(string path)
    {
        try
        {
            if (!Directory.Exists(path))
                return;
            string parent = Path.GetDirectoryName(Path.GetFullPath(path))!;
            using var dir = BeneathDirectory.Open(parent);
            MakeWritable(dir, Path.GetFileName(path));
            dir.Remove(Path.GetFileName(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NativeException)
        {
        }
    }

    // A tree unpacked by a non-root user may hold 0500 directories: open them up before removing.
    private static void MakeWritable(BeneathDirectory parent, string name)
    {
        if (parent.Stat(name) is not { IsDirectory: true })
            return;
        using BeneathDirectory dir = parent.OpenDirectory(name);
        BeneathDirectory.SetMode(dir.Handle, 0b111_000_000 | dir.StatSelf().Permissions, dir.Path);
        foreach (string child in dir.List())
            MakeWritable(dir, child);
    }

    /// <summary>The state of one unpack: the root, the last parent directory opened, the directories to finish.</summary>
    private sealed class Unpacking(BeneathDirectory root, bool chown) : IDisposable
    {
        private readonly List<(string Path, TarEntry Entry)> _directories = new();
        private readonly HashSet<string> _opaque = new(StringComparer.Ordinal);
        private string? _parentPath;
        private BeneathDirectory? _parent;

        public void Add(TarEntry entry)
        {
            string rel = NormalizeName(entry.Name)
                ?? throw new InvalidDataException($"layer entry \"{entry.Name}\" escapes the layer root; refused");
            if (rel.Length == 0)
            {
                if (entry.EntryType == TarEntryType.Directory)
                    _directories.Add(("", entry));
                return;
            }
            int slash = rel.LastIndexOf('/');
            string dirPath = slash < 0 ? "" : rel[..slash];
            string name = rel[(slash + 1)..];
            BeneathDirectory parent = Parent(dirPath);

            if (name == OpaqueMarker)
            {
                _opaque.Add(dirPath);
                return;
            }
            if (name.StartsWith(WhiteoutPrefix, StringComparison.Ordinal))
            {
                string hidden = name[WhiteoutPrefix.Length..];
                if (hidden.Length == 0 || hidden == "." || hidden == ".." || hidden.StartsWith(WhiteoutPrefix, StringComparison.Ordinal))
                    throw new InvalidDataException($"layer entry \"{entry.Name}\" is not a valid whiteout");
                // A whiteout hides what lower layers have; what this layer itself has stays.
                if (parent.Stat(hidden) is null)
                    parent.CreateWhiteout(hidden);
                return;
            }

            EntryStatus? existing = parent.Stat(name);
            if (existing is { } ex && !(ex.IsDirectory && entry.EntryType == TarEntryType.Directory))
            {
                // A later entry replaces an earlier one (a directory with everything in it).
                parent.Remove(name);
                if (ex.IsDirectory)
                    Invalidate(rel);
                existing = null;
            }

            switch (entry.EntryType)
            {
                case TarEntryType.Directory:
                    if (existing is null)
                        parent.CreateDirectory(name, DirectoryCreateMode);
                    _directories.Add((rel, entry));
                    break;

                case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                    using (FileStream file = parent.CreateFile(name, 0b110_000_000))
                    {
                        entry.DataStream?.CopyTo(file);
                        string what = parent.Path + "/" + name;
                        if (chown)
                            BeneathDirectory.SetOwner(file.SafeFileHandle, (uint)entry.Uid, (uint)entry.Gid, what);
                        // After chown, which clears set-id bits.
                        BeneathDirectory.SetMode(file.SafeFileHandle, (uint)entry.Mode, what);
                        ApplyCapabilities(file.SafeFileHandle, entry, what);
                        file.Flush();
                        BeneathDirectory.SetTimes(file.SafeFileHandle, entry.ModificationTime, what);
                    }
                    break;

                case TarEntryType.SymbolicLink:
                    // Stored as written, absolute or not: the container resolves it inside its own root.
                    parent.CreateSymlink(name, entry.LinkName);
                    if (chown)
                        parent.ChangeOwner(name, (uint)entry.Uid, (uint)entry.Gid);
                    parent.SetTimes(name, entry.ModificationTime);
                    break;

                case TarEntryType.HardLink:
                    AddHardLink(parent, name, entry);
                    break;

                case TarEntryType.Fifo:
                    parent.CreateFifo(name, (int)entry.Mode);
                    if (chown)
                        parent.ChangeOwner(name, (uint)entry.Uid, (uint)entry.Gid);
                    break;

                default:
                    // Character and block devices, sockets: never created from a layer.
                    break;
            }
        }

        private void AddHardLink(BeneathDirectory parent, string name, TarEntry entry)
        {
            string? target = NormalizeName(entry.LinkName);
            if (string.IsNullOrEmpty(target))
                throw new InvalidDataException($"layer entry \"{entry.Name}\" is a hard link to \"{entry.LinkName}\", outside the layer root; refused");
            int slash = target.LastIndexOf('/');
            using BeneathDirectory targetDir = root.TryOpenDirectory(slash < 0 ? "" : target[..slash])
                ?? throw new InvalidDataException($"layer entry \"{entry.Name}\" is a hard link to \"{entry.LinkName}\", which is not in the layer");
            string targetName = target[(slash + 1)..];
            if (targetDir.Stat(targetName) is not { } t || !(t.IsRegularFile || t.IsSymlink))
                throw new InvalidDataException($"layer entry \"{entry.Name}\" is a hard link to \"{entry.LinkName}\", which is not a file of the layer");
            parent.CreateHardLink(targetDir, targetName, name);
        }

        /// <summary>File capabilities (e.g. ping's cap_net_raw) travel as a PAX xattr; other xattrs, trusted.* above all, are dropped.</summary>
        private static void ApplyCapabilities(Microsoft.Win32.SafeHandles.SafeFileHandle file, TarEntry entry, string what)
        {
            if (entry is not PaxTarEntry pax)
                return;
            if (pax.ExtendedAttributes.TryGetValue("SCHILY.xattr.security.capability", out string? value))
            {
                // System.Formats.Tar decodes PAX records as UTF-8: encoding back gives the bytes of any value
                // that was valid UTF-8; one that was not comes back damaged and the kernel refuses it (EINVAL).
                byte[] raw = Encoding.UTF8.GetBytes(value);
                try
                {
                    BeneathDirectory.SetExtendedAttribute(file, "security.capability", raw, what);
                }
                catch (NativeException e) when (e.ErrorNumber is Errno.EPERM or Errno.EOPNOTSUPP or Errno.EINVAL)
                {
                    // Not root or no xattr support: the file works, without its capability.
                }
            }
        }

        private BeneathDirectory Parent(string dirPath)
        {
            if (_parent is not null && _parentPath == dirPath)
                return _parent;
            _parent?.Dispose();
            _parent = null;
            _parentPath = null;
            BeneathDirectory dir = root;
            if (dirPath.Length > 0)
                dir = root.TryOpenDirectory(dirPath) ?? CreateParents(dirPath);
            _parent = dirPath.Length == 0 ? null : dir;
            _parentPath = dirPath.Length == 0 ? null : dirPath;
            return dir;
        }

        /// <summary>Missing parents (a layer may list "a/b/c" without "a/"), 0755, each step beneath the root.</summary>
        private BeneathDirectory CreateParents(string dirPath)
        {
            string[] parts = dirPath.Split('/');
            string done = "";
            foreach (string part in parts)
            {
                using (BeneathDirectory at = done.Length == 0 ? Borrow(root) : root.OpenDirectory(done))
                {
                    if (at.CreateDirectory(part, 0b111_101_101))
                    {
                        using BeneathDirectory created = at.OpenDirectory(part);
                        BeneathDirectory.SetMode(created.Handle, 0b111_101_101, created.Path);
                    }
                }
                done = done.Length == 0 ? part : done + "/" + part;
            }
            return root.OpenDirectory(dirPath);
        }

        private static BeneathDirectory Borrow(BeneathDirectory dir) => dir.OpenDirectory("");

        private void Invalidate(string removed)
        {
            if (_parentPath is not null && (_parentPath == removed || _parentPath.StartsWith(removed + "/", StringComparison.Ordinal)))
            {
                _parent?.Dispose();
                _parent = null;
                _parentPath = null;
            }
        }

        /// <summary>Directory modes, owners and times last (a read-only directory must still get its contents), deepest first;
        /// then the opaque markers. A directory later replaced by something else is skipped.</summary>
        public void Finish()
        {
            _parent?.Dispose();
            _parent = null;
            _parentPath = null;
            foreach (string dirPath in _opaque)
            {
                using BeneathDirectory dir = dirPath.Length == 0 ? Borrow(root) : root.TryOpenDirectory(dirPath) ?? CreateParents(dirPath);
                BeneathDirectory.SetExtendedAttribute(dir.Handle, OpaqueAttribute, "y"u8, dir.Path);
            }
            for (int i = _directories.Count - 1; i >= 0; i--)
            {
                (string path, TarEntry entry) = _directories[i];
                BeneathDirectory? dir;
                try
                {
                    dir = path.Length == 0 ? Borrow(root) : root.TryOpenDirectory(path);
                }
                catch (NativeException e) when (e.ErrorNumber is Errno.ELOOP or Errno.ENOTDIR)
                {
                    continue;
                }
                if (dir is null)
                    continue;
                using (dir)
                {
                    if (chown)
                        BeneathDirectory.SetOwner(dir.Handle, (uint)entry.Uid, (uint)entry.Gid, dir.Path);
                    BeneathDirectory.SetMode(dir.Handle, (uint)entry.Mode, dir.Path);
                    BeneathDirectory.SetTimes(dir.Handle, entry.ModificationTime, dir.Path);
                }
            }
            // Directories made only as parents keep 0755; the root itself too unless the layer says otherwise.
            if (!_directories.Any(d => d.Path.Length == 0))
                BeneathDirectory.SetMode(root.Handle, 0b111_101_101, root.Path);
        }

        public void Dispose()
        {
            _parent?.Dispose();
            _parent = null;
        }
    }
}
