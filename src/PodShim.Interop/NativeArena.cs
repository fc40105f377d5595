using System.Runtime.InteropServices;
using System.Text;

namespace PodShim.Interop;

/// <summary>
/// Unmanaged memory for one native call: NUL-terminated UTF-8 strings, string arrays and
/// struct arrays laid out before the call, so the native child never allocates. Freed at once.
/// </summary>
internal sealed unsafe class NativeArena : IDisposable
{
    private readonly List<IntPtr> _blocks = new();

    public byte* String(string? value)
    {
        if (value is null)
            return null;
        if (value.Contains('\0'))
            throw new ArgumentException($"a NUL byte is not allowed in \"{value.Replace("\0", "\\0")}\"");
        int length = Encoding.UTF8.GetByteCount(value);
        byte* p = (byte*)Alloc(length + 1);
        Encoding.UTF8.GetBytes(value, new Span<byte>(p, length));
        p[length] = 0;
        return p;
    }

    /// <summary>A NULL-terminated array of strings (argv, envp, path lists).</summary>
    public byte** StringArray(IReadOnlyList<string> values)
    {
        byte** array = (byte**)Alloc((values.Count + 1) * sizeof(byte*));
        for (int i = 0; i < values.Count; i++)
            array[i] = String(values[i]);
        array[values.Count] = null;
        return array;
    }

    public T* Array<T>(ReadOnlySpan<T> values) where T : unmanaged
    {
        if (values.IsEmpty)
            return null;
        T* p = (T*)Alloc(values.Length * sizeof(T));
        values.CopyTo(new Span<T>(p, values.Length));
        return p;
    }

    private void* Alloc(int bytes)
    {
        void* p = NativeMemory.AllocZeroed((nuint)Math.Max(bytes, 1));
        _blocks.Add((IntPtr)p);
        return p;
    }

    public void Dispose()
    {
        foreach (IntPtr block in _blocks)
            NativeMemory.Free((void*)block);
        _blocks.Clear();
    }
}
