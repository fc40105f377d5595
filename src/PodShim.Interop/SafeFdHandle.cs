using System.Runtime.InteropServices;

namespace PodShim.Interop;

/// <summary>An owned file descriptor (also used for pidfds).</summary>
public sealed class SafeFdHandle : SafeHandle
{
    public SafeFdHandle() : base(new IntPtr(-1), ownsHandle: true) { }

    public SafeFdHandle(int fd, bool ownsHandle = true) : base(new IntPtr(-1), ownsHandle) => SetHandle(new IntPtr(fd));

    public override bool IsInvalid => handle.ToInt64() < 0;

    public int Fd => (int)handle.ToInt64();

    protected override bool ReleaseHandle() => Interop.Close(Fd) == 0;
}
