using System.Runtime.InteropServices;
using System.Text;
using PodShim.Interop;

namespace PodShim.UnitTests.Interop;

public sealed unsafe class NativeArenaTests
{
    private static byte[] ReadNulTerminated(byte* p)
    {
        int length = 0;
        while (p[length] != 0)
            length++;
        return new ReadOnlySpan<byte>(p, length).ToArray();
    }

    [Theory]
    [InlineData("")]
    [InlineData("/bin/sh")]
    [InlineData("héllo wörld ✓")]
    [InlineData("PATH=/usr/bin:/bin")]
    public void StringIsNulTerminatedUtf8(string value)
    {
        using var arena = new NativeArena();
        byte* p = arena.String(value);
        Assert.True(p != null);
        byte[] expected = Encoding.UTF8.GetBytes(value);
        Assert.Equal(expected, ReadNulTerminated(p));
        Assert.Equal(0, p[expected.Length]);
        Assert.Equal(value, Marshal.PtrToStringUTF8((IntPtr)p));
    }

    [Fact]
    public void NullStringIsNullPointer()
    {
        using var arena = new NativeArena();
        Assert.True(arena.String(null) == null);
    }

    [Theory]
    [InlineData("a\0b")]
    [InlineData("\0")]
    [InlineData("trailing\0")]
    public void EmbeddedNulIsRejected(string value)
    {
        using var arena = new NativeArena();
        var e = Assert.Throws<ArgumentException>(() => { arena.String(value); });
        Assert.Contains("\\0", e.Message);
    }

    [Fact]
    public void StringArrayIsNullTerminated()
    {
        using var arena = new NativeArena();
        string[] values = ["sh", "-c", "echo ✓"];
        byte** array = arena.StringArray(values);
        for (int i = 0; i < values.Length; i++)
            Assert.Equal(values[i], Marshal.PtrToStringUTF8((IntPtr)array[i]));
        Assert.True(array[values.Length] == null);
    }

    [Fact]
    public void EmptyStringArrayIsJustTheTerminator()
    {
        using var arena = new NativeArena();
        byte** array = arena.StringArray([]);
        Assert.True(array != null);
        Assert.True(array[0] == null);
    }

    [Fact]
    public void StringArrayRejectsEmbeddedNul()
    {
        using var arena = new NativeArena();
        Assert.Throws<ArgumentException>(() => { arena.StringArray(["ok", "bad\0"]); });
    }

    [Fact]
    public void ArrayCopiesValuesAndEmptyIsNull()
    {
        using var arena = new NativeArena();
        uint* groups = arena.Array<uint>([10u, 20u, 30u]);
        Assert.Equal(10u, groups[0]);
        Assert.Equal(20u, groups[1]);
        Assert.Equal(30u, groups[2]);
        Assert.True(arena.Array<uint>([]) == null);
    }
}
