namespace PodShim.Runtime.Images;

/// <summary>
/// Adds images to a layout so that readers see all of an image or none of it. Blobs are written
/// (and verified) under temporary names and layers unpacked into temporary directories without
/// holding the layout's lock; <see cref="Commit"/> then takes the lock, renames everything into
/// place and rewrites index.json. Content already in the store is reused, never rewritten.
/// Anything not committed is removed on Dispose.
/// </summary>
internal sealed class StoreTransaction : IDisposable
{
    private readonly string _root;
    private readonly Dictionary<string, string> _blobs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _layers = new(StringComparer.Ordinal);
    private readonly List<(string Temporary, string Final, bool IsDirectory)> _moves = new();

    public StoreTransaction(string root)
    {
        _root = Path.GetFullPath(root);
        Directory.CreateDirectory(OciLayout.BlobDir(_root));
        Directory.CreateDirectory(OciLayout.LayersDir(_root));
        if (!File.Exists(OciLayout.LayoutFilePath(_root)))
            OciImageWriter.WriteAtomically(OciLayout.LayoutFilePath(_root), "{\"imageLayoutVersion\":\"1.0.0\"}"u8.ToArray());
    }

    public string Root => _root;

    /// <summary>
    /// Copies a blob into the store, hashing it on the way; with <paramref name="expectedDigest"/> the
    /// content must hash to it (and have <paramref name="expectedSize"/> bytes). Returns (digest, size, path of the content).
    /// </summary>
    public (string Digest, long Size, string Path) AddBlob(string? expectedDigest, long? expectedSize, Func<Stream> open, Action<long>? progress, string what)
    {
        if (expectedDigest is not null)
        {
            OciLayout.Sha256Hex(expectedDigest);
            if (Existing(expectedDigest) is { } known)
                return (expectedDigest, new FileInfo(known).Length, known);
        }
        string tmp = Path.Combine(OciLayout.BlobDir(_root), $".tmp-{Guid.NewGuid():N}");
        _moves.Add((tmp, "", false)); // registered at once, so Dispose removes it whatever happens
        string digest;
        long size;
        using (Stream source = open())
        using (var counted = new CountingStream(source, progress))
        using (var hashing = new HashingStream(counted))
        using (var output = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1))
        {
            hashing.CopyTo(output, 1 << 17);
            output.Flush(flushToDisk: true);
            size = hashing.BytesRead;
            digest = hashing.Digest();
        }
        Verify(what, digest, size, expectedDigest, expectedSize);
        return (digest, size, Register(digest, tmp));
    }

    /// <summary>A file already staged on the store's filesystem (hashed when it was staged): moved, not copied.</summary>
    public (string Digest, long Size, string Path) AddStagedBlob(Import.StagedFile file, string? expectedDigest, long? expectedSize, string what)
    {
        Verify(what, file.Digest, file.Size, expectedDigest, expectedSize);
        if (Existing(file.Digest) is { } known)
            return (file.Digest, file.Size, known);
        if (!File.Exists(file.Path))
            throw new InvalidOperationException($"staged file {file.Path} was already used");
        string tmp = Path.Combine(OciLayout.BlobDir(_root), $".tmp-{Guid.NewGuid():N}");
        _moves.Add((tmp, "", false));
        File.Move(file.Path, tmp);
        return (file.Digest, file.Size, Register(file.Digest, tmp));
    }

    /// <summary>A small blob (manifest, config) given as bytes.</summary>
    public (string Digest, long Size) AddBlobBytes(byte[] data, string? expectedDigest, string what)
    {
        string digest = OciLayout.Digest(data);
        Verify(what, digest, data.Length, expectedDigest, null);
        if (Existing(digest) is null)
        {
            string tmp = Path.Combine(OciLayout.BlobDir(_root), $".tmp-{Guid.NewGuid():N}");
            _moves.Add((tmp, "", false));
            File.WriteAllBytes(tmp, data);
            Register(digest, tmp);
        }
        return (digest, data.Length);
    }

    /// <summary>
    /// The unpacked directory of a layer blob: reused when the store has it, else unpacked into a
    /// temporary directory. With <paramref name="expectedDiffId"/> the uncompressed content must hash to it.
    /// Returns the diff_id.
    /// </summary>
    public string EnsureLayer(string blobPath, string? expectedDiffId, Action<long>? progress, string what)
    {
        if (expectedDiffId is not null)
        {
            OciLayout.Sha256Hex(expectedDiffId);
            if (_layers.ContainsKey(expectedDiffId) || Directory.Exists(OciLayout.LayerDir(_root, expectedDiffId)))
                return expectedDiffId;
        }
        string tmp = LayerUnpacker.TemporarySibling(Path.Combine(OciLayout.LayersDir(_root), "unpack"));
        _moves.Add((tmp, "", true));
        string diffId;
        using (FileStream blob = new(blobPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16))
        using (var counted = new CountingStream(blob, progress))
        {
            try
            {
                diffId = LayerUnpacker.Unpack(counted, tmp);
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"{what}: {e.Message}", e);
            }
        }
        if (expectedDiffId is not null && diffId != expectedDiffId)
            throw new InvalidDataException($"{what} is corrupt: its uncompressed content hashes to {diffId}, but the image config lists diff_id {expectedDiffId}");
        if (_layers.ContainsKey(diffId) || Directory.Exists(OciLayout.LayerDir(_root, diffId)))
        {
            LayerUnpacker.TryDeleteTree(tmp);
            return diffId;
        }
        _layers[diffId] = tmp;
        Retarget(tmp, OciLayout.LayerDir(_root, diffId));
        return diffId;
    }

    /// <summary>Moves everything into place and tags the manifests, under the layout's lock.</summary>
    public void Commit(IEnumerable<(IReadOnlyCollection<string> References, string ManifestDigest, long ManifestSize)> tags)
    {
        using FileStream layoutLock = OciImageWriter.AcquireLock(_root);
        foreach ((string tmp, string final, bool isDirectory) in _moves)
        {
            if (final.Length == 0)
                continue;
            if (isDirectory)
            {
                if (Directory.Exists(final))
                    LayerUnpacker.TryDeleteTree(tmp);
                else
                    Directory.Move(tmp, final);
            }
            else if (File.Exists(final))
            {
                File.Delete(tmp);
            }
            else
            {
                File.Move(tmp, final);
            }
        }
        _moves.Clear();
        foreach (var (references, digest, size) in tags)
            OciIndexFile.Tag(_root, references, digest, size);
    }

    private string? Existing(string digest)
    {
        if (_blobs.TryGetValue(digest, out string? path))
            return path;
        string final = OciLayout.BlobPath(_root, digest);
        return File.Exists(final) ? final : null;
    }

    private string Register(string digest, string tmp)
    {
        if (Existing(digest) is { } known)
        {
            File.Delete(tmp);
            return known;
        }
        _blobs[digest] = tmp;
        Retarget(tmp, OciLayout.BlobPath(_root, digest));
        return tmp;
    }

    private void Retarget(string tmp, string final)
    {
        int i = _moves.FindIndex(m => m.Temporary == tmp);
        _moves[i] = (tmp, final, _moves[i].IsDirectory);
    }

    private static void Verify(string what, string digest, long size, string? expectedDigest, long? expectedSize)
    {
        if (expectedDigest is not null && digest != expectedDigest)
            throw new InvalidDataException($"{what} is corrupt: its content hashes to {digest}, expected {expectedDigest}");
        if (expectedSize is { } want && want != size)
            throw new InvalidDataException($"{what} is corrupt: {size} bytes, its descriptor says {want}");
    }

    public void Dispose()
    {
        foreach ((string tmp, _, bool isDirectory) in _moves)
        {
            if (isDirectory)
                LayerUnpacker.TryDeleteTree(tmp);
            else
                File.Delete(tmp);
        }
        _moves.Clear();
    }
}
