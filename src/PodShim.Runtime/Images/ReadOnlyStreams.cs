using System.Security.Cryptography;

namespace PodShim.Runtime.Images;

/// <summary>
/// What the image reader's pass-through streams have in common: they are read, never written, and
/// seek only where a subclass says so; reads by array go through the span overload.
/// </summary>
internal abstract class ReadOnlyStream : Stream
{
    public abstract override int Read(Span<byte> buffer);

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>A read-only stream that first returns bytes already read from <paramref name="inner"/>, then the rest of it.</summary>
internal sealed class PrefixedStream(ReadOnlyMemory<byte> prefix, Stream inner) : ReadOnlyStream
{
    private ReadOnlyMemory<byte> _prefix = prefix;

    public override int Read(Span<byte> buffer)
    {
        if (_prefix.IsEmpty)
            return inner.Read(buffer);
        int n = Math.Min(buffer.Length, _prefix.Length);
        _prefix.Span[..n].CopyTo(buffer);
        _prefix = _prefix[n..];
        return n;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            inner.Dispose();
        base.Dispose(disposing);
    }
}

/// <summary>A read-only stream that hashes (sha256) everything read through it.</summary>
internal sealed class HashingStream(Stream inner, bool leaveOpen = false) : ReadOnlyStream
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    public long BytesRead { get; private set; }

    public string Digest() => "sha256:" + Convert.ToHexStringLower(_hash.GetCurrentHash());

    public override int Read(Span<byte> buffer)
    {
        int n = inner.Read(buffer);
        _hash.AppendData(buffer[..n]);
        BytesRead += n;
        return n;
    }

    public override long Position { get => BytesRead; set => throw new NotSupportedException(); }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _hash.Dispose();
            if (!leaveOpen)
                inner.Dispose();
        }
        base.Dispose(disposing);
    }
}

/// <summary>A read-only pass-through stream that reports how many bytes were read (for progress), seekable if the inner one is.</summary>
internal sealed class CountingStream(Stream inner, Action<long>? progress) : ReadOnlyStream
{
    public override int Read(Span<byte> buffer)
    {
        int n = inner.Read(buffer);
        if (n > 0)
            progress?.Invoke(n);
        return n;
    }

    public override bool CanSeek => inner.CanSeek;
    public override long Length => inner.Length;
    public override long Position
    {
        get => inner.Position;
        set
        {
            long delta = value - inner.Position;
            inner.Position = value;
            if (delta > 0)
                progress?.Invoke(delta);
        }
    }
    public override long Seek(long offset, SeekOrigin origin)
    {
        long before = inner.Position;
        long after = inner.Seek(offset, origin);
        if (after > before)
            progress?.Invoke(after - before);
        return after;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            inner.Dispose();
        base.Dispose(disposing);
    }
}
