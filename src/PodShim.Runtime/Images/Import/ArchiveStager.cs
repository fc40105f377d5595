using System.Formats.Tar;

namespace PodShim.Runtime.Images.Import;

/// <summary>A file of an archive, extracted to the staging directory, with its sha256.</summary>
internal sealed record StagedFile(string Path, string Digest, long Size);

/// <summary>
/// An image archive (OCI archive or docker archive) extracted once into a private staging
/// directory under the store: regular files only, each hashed while it is written, so blobs are
/// verified without being read twice. Links inside the archive (docker's legacy format links
/// repeated layers) are kept as aliases to the file they name; nothing else is created, so the
/// staging tree holds no symlink and no entry name can leave it.
/// </summary>
internal sealed class StagedArchive
{
    private readonly Dictionary<string, StagedFile> _files = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _aliases = new(StringComparer.Ordinal);

    private StagedArchive(string directory) => Directory = directory;

    public string Directory { get; }

    public bool Contains(string name) => Find(name) is not null;

    /// <summary>The staged file of an archive path (links followed), or null.</summary>
    public StagedFile? Find(string name)
    {
        string? normalized = LayerUnpacker.NormalizeName(name);
        for (int hops = 0; normalized is not null && hops < 16; hops++)
        {
            if (_files.TryGetValue(normalized, out StagedFile? file))
                return file;
            if (!_aliases.TryGetValue(normalized, out normalized))
                return null;
        }
        return null;
    }

    public StagedFile Get(string name, string what) =>
        Find(name) ?? throw new InvalidDataException($"the archive has no {what} \"{name}\"");

    public byte[] ReadSmall(string name, string what)
    {
        StagedFile file = Get(name, what);
        if (file.Size > OciLayout.MaxJsonBlobSize)
            throw new InvalidDataException($"{what} \"{name}\" is {file.Size} bytes; at most {OciLayout.MaxJsonBlobSize} expected");
        return File.ReadAllBytes(file.Path);
    }

    /// <summary>Extracts <paramref name="archive"/> (already decompressed) into <paramref name="stagingDir"/>, which must be empty.</summary>
    public static StagedArchive Extract(Stream archive, string stagingDir)
    {
        var staged = new StagedArchive(stagingDir);
        System.IO.Directory.CreateDirectory(stagingDir);
        using var reader = new TarReader(archive, leaveOpen: true);
        int count = 0;
        while (reader.GetNextEntry() is { } entry)
        {
            string rel = LayerUnpacker.NormalizeName(entry.Name)
                ?? throw new InvalidDataException($"archive entry \"{entry.Name}\" escapes the archive; refused");
            if (rel.Length == 0)
                continue;
            switch (entry.EntryType)
            {
                case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                    // Stored under a counter, not the entry's name: no name can collide with or shape the staging tree.
                    string path = Path.Combine(stagingDir, (count++).ToString(System.Globalization.CultureInfo.InvariantCulture));
                    long size;
                    string digest;
                    using (var output = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1))
                    using (var hashing = new HashingStream(entry.DataStream ?? Stream.Null, leaveOpen: true))
                    {
                        hashing.CopyTo(output, 1 << 17);
                        size = hashing.BytesRead;
                        digest = hashing.Digest();
                    }
                    staged._aliases.Remove(rel);
                    staged._files[rel] = new StagedFile(path, digest, size);
                    break;
                case TarEntryType.SymbolicLink:
                    string dir = rel.Contains('/') ? rel[..rel.LastIndexOf('/')] : "";
                    string? target = entry.LinkName.StartsWith('/') ? null
                        : LayerUnpacker.NormalizeName(dir.Length == 0 ? entry.LinkName : dir + "/" + entry.LinkName);
                    if (target is not null)
                        staged._aliases[rel] = target;
                    break;
                case TarEntryType.HardLink:
                    if (LayerUnpacker.NormalizeName(entry.LinkName) is { Length: > 0 } linked)
                        staged._aliases[rel] = linked;
                    break;
                default:
                    // Directories are implied by names; devices and the like have no place in an image archive.
                    break;
            }
        }
        return staged;
    }
}
