namespace PodShim.Interop;

/// <summary>A failed system or native call, named with its target: <c>setns(/proc/4242/ns/net): EPERM</c>.</summary>
public sealed class NativeException : Exception
{
    public NativeException(string call, string? target, int errno)
        : base(Format(call, target, errno))
    {
        Call = call;
        Target = target;
        ErrorNumber = errno;
    }

    public string Call { get; }
    public string? Target { get; }
    public int ErrorNumber { get; }

    public static string Format(string call, string? target, int errno) =>
        target is null ? $"{call}: {Errno.Name(errno)}" : $"{call}({target}): {Errno.Name(errno)}";

    /// <summary>Throws for a -errno style result; returns the result otherwise.</summary>
    public static int ThrowIfNegative(int result, string call, string? target = null) =>
        result < 0 ? throw new NativeException(call, target, -result) : result;

    /// <summary>Throws with the thread's last errno for a libc-style -1 result.</summary>
    public static int ThrowIfMinusOne(int result, string call, string? target = null) =>
        result == -1 ? throw new NativeException(call, target, System.Runtime.InteropServices.Marshal.GetLastPInvokeError()) : result;
}
