using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace PodShim.Interop;

/// <summary>What lstat says about one directory entry.</summary>
public readonly record struct EntryStatus(uint Mode, uint Uid, uint Gid, uint LinkCount, ulong Inode, uint DeviceMajor, uint DeviceMinor,
    uint RdevMajor, uint RdevMinor, long Size, long Blocks)
{
    public const uint TypeMask = 0xF000, Fifo = 0x1000, CharDevice = 0x2000, Directory = 0x4000, BlockDevice = 0x6000,
        Regular = 0x8000, Symlink = 0xA000, Socket = 0xC000;

    public uint Type => Mode & TypeMask;
    public bool IsDirectory => Type == Directory;
    public bool IsRegularFile => Type == Regular;
    public bool IsSymlink => Type == Symlink;
    /// <summary>An overlayfs whiteout: a character device 0:0.</summary>
    public bool IsWhiteout => Type == CharDevice && RdevMajor == 0 && RdevMinor == 0;
    public uint Permissions => Mode & 0xFFF;
}

/// <summary>
/// A directory held open by file descriptor, in which every path is resolved beneath it and never
/// through a symlink (openat2 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS), and every final component is
/// acted on without following it (O_NOFOLLOW, AT_SYMLINK_NOFOLLOW). Untrusted trees (image layers,
/// a pod's shared volumes) are written and read through it, so nothing they contain can send a
/// write outside the directory. Errors name the call and the path: <c>mkdirat(/x/etc, passwd): EEXIST</c>.
/// </summary>
public sealed unsafe class BeneathDirectory : IDisposable
{
    private BeneathDirectory(SafeFdHandle handle, string path)
    {
        Handle = handle;
        Path = path;
    }

    public SafeFdHandle Handle { get; }

    /// <summary>The directory's path as it was reached (for messages).</summary>
    public string Path { get; }

    /// <summary>Opens a trusted directory path (it may itself be reached through symlinks).</summary>
    public static BeneathDirectory Open(string path)
    {
        int fd = Interop.Open(path, Interop.O_RDONLY | Interop.O_DIRECTORY | Interop.O_CLOEXEC, 0);
        return fd < 0 ? throw new NativeException("open", path, Marshal.GetLastPInvokeError()) : new BeneathDirectory(new SafeFdHandle(fd), path);
    }

    /// <summary>
    /// Opens <paramref name="relative"/> (slash-separated, no "..") below this directory; null when a
    /// component is missing. Throws with ELOOP when a component is a symlink, ENOTDIR when not a directory.
    /// </summary>
    public BeneathDirectory? TryOpenDirectory(string relative)
    {
        int fd = Openat2(relative, Interop.OpenFlags.ReadOnly | Interop.OpenFlags.Directory | Interop.OpenFlags.NoFollow);
        if (fd >= 0)
            return new BeneathDirectory(new SafeFdHandle(fd), Join(relative));
        int errno = -fd;
        return errno == Errno.ENOENT ? null : throw new NativeException("openat2", Join(relative), errno);
    }

    public BeneathDirectory OpenDirectory(string relative) =>
        TryOpenDirectory(relative) ?? throw new NativeException("openat2", Join(relative), Errno.ENOENT);

    /// <summary>An O_PATH descriptor for any entry below this directory (its last component may be a
    /// file or a directory, not a symlink): usable as a bind-mount source through /proc/self/fd.</summary>
    public SafeFdHandle OpenPath(string relative)
    {
        int fd = Openat2(relative, Interop.OpenFlags.PathOnly | Interop.OpenFlags.NoFollow);
        if (fd < 0)
            throw new NativeException("openat2", Join(relative), -fd);
        var handle = new SafeFdHandle(fd);
        EntryStatus st = StatFd(handle, Join(relative));
        if (st.IsSymlink)
        {
            handle.Dispose();
            throw new NativeException("openat2", Join(relative), Errno.ELOOP);
        }
        return handle;
    }

    /// <summary>Opens a regular file below this directory for reading (never through a symlink).</summary>
    public FileStream OpenRead(string relative)
    {
        int fd = Openat2(relative, Interop.OpenFlags.ReadOnly | Interop.OpenFlags.NoFollow);
        if (fd < 0)
            throw new NativeException("openat2", Join(relative), -fd);
        return new FileStream(new SafeFileHandle(fd, ownsHandle: true), FileAccess.Read, 1);
    }

    private int Openat2(string relative, int flags)
    {
        var how = new Interop.OpenHow
        {
            Flags = (ulong)(flags | Interop.OpenFlags.CloseOnExec),
            Resolve = Interop.Resolve.Beneath | Interop.Resolve.NoSymlinks | Interop.Resolve.NoMagicLinks,
        };
        string path = relative.Length == 0 ? "." : relative;
        byte[] bytes = Utf8(path);
        bool added = false;
        Handle.DangerousAddRef(ref added);
        try
        {
            fixed (byte* p = bytes)
            {
                while (true)
                {
                    long r = Interop.Openat2(Interop.SYS_openat2, Handle.Fd, p, &how, (nuint)sizeof(Interop.OpenHow));
                    if (r >= 0)
                        return (int)r;
                    int errno = Marshal.GetLastPInvokeError();
                    // openat2 asks for a retry when a rename raced with the lookup.
                    if (errno != Errno.EAGAIN && errno != Errno.EINTR)
                        return -errno;
                }
            }
        }
        finally
        {
            if (added)
                Handle.DangerousRelease();
        }
    }

    /// <summary>lstat of a name in this directory; null when it does not exist.</summary>
    public EntryStatus? Stat(string name)
    {
        byte* buf = stackalloc byte[256];
        if (Interop.Statx(Handle, name, Interop.AT_SYMLINK_NOFOLLOW, Interop.STATX_BASIC_STATS, buf) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            return errno == Errno.ENOENT ? null : throw new NativeException("statx", Join(name), errno);
        }
        return ParseStatx(buf);
    }

    /// <summary>stat (<paramref name="follow"/>) or lstat of a trusted path; null when nothing is there.</summary>
    public static EntryStatus? StatPath(string path, bool follow)
    {
        byte* buf = stackalloc byte[256];
        if (Interop.StatxAt(Interop.AT_FDCWD, path, follow ? 0 : Interop.AT_SYMLINK_NOFOLLOW, Interop.STATX_BASIC_STATS, buf) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            return errno is Errno.ENOENT or Errno.ENOTDIR ? null : throw new NativeException("statx", path, errno);
        }
        return ParseStatx(buf);
    }

    /// <summary>fstat of an open descriptor (O_PATH ones included).</summary>
    public static EntryStatus StatHandle(SafeFdHandle fd, string what) => StatFd(fd, what);

    /// <summary>fstat of this directory itself.</summary>
    public EntryStatus StatSelf() => StatFd(Handle, Path);

    private static EntryStatus StatFd(SafeFdHandle fd, string what)
    {
        byte* buf = stackalloc byte[256];
        if (Interop.Statx(fd, "", Interop.AT_EMPTY_PATH | Interop.AT_SYMLINK_NOFOLLOW, Interop.STATX_BASIC_STATS, buf) != 0)
            throw new NativeException("statx", what, Marshal.GetLastPInvokeError());
        return ParseStatx(buf);
    }

    private static EntryStatus ParseStatx(byte* buf) => new(
        Mode: *(ushort*)(buf + 28),
        Uid: *(uint*)(buf + 20),
        Gid: *(uint*)(buf + 24),
        LinkCount: *(uint*)(buf + 16),
        Inode: *(ulong*)(buf + 32),
        DeviceMajor: *(uint*)(buf + 136),
        DeviceMinor: *(uint*)(buf + 140),
        RdevMajor: *(uint*)(buf + 128),
        RdevMinor: *(uint*)(buf + 132),
        Size: *(long*)(buf + 40),
        Blocks: *(long*)(buf + 48));

    /// <summary>mkdirat; false when the name already exists (whatever it is).</summary>
    public bool CreateDirectory(string name, int mode)
    {
        if (Interop.Mkdirat(Handle, name, mode) == 0)
            return true;
        int errno = Marshal.GetLastPInvokeError();
        return errno == Errno.EEXIST ? false : throw new NativeException("mkdirat", Join(name), errno);
    }

    /// <summary>Creates a new regular file (O_EXCL, never through a symlink) and returns it open for writing.</summary>
    public FileStream CreateFile(string name, int mode)
    {
        int fd = Interop.Openat(Handle, name,
            Interop.OpenFlags.WriteOnly | Interop.OpenFlags.Create | Interop.OpenFlags.Exclusive | Interop.OpenFlags.NoFollow | Interop.OpenFlags.CloseOnExec, mode);
        if (fd < 0)
            throw new NativeException("openat", Join(name), Marshal.GetLastPInvokeError());
        return new FileStream(new SafeFileHandle(fd, ownsHandle: true), FileAccess.Write, 1);
    }

    public void CreateSymlink(string name, string target)
    {
        if (Interop.Symlinkat(target, Handle, name) != 0)
            throw new NativeException("symlinkat", Join(name), Marshal.GetLastPInvokeError());
    }

    /// <summary>A hard link to <paramref name="targetName"/> of <paramref name="targetDirectory"/> (never followed if a symlink).</summary>
    public void CreateHardLink(BeneathDirectory targetDirectory, string targetName, string name)
    {
        if (Interop.Linkat(targetDirectory.Handle, targetName, Handle, name, 0) != 0)
            throw new NativeException("linkat", $"{targetDirectory.Join(targetName)}, {Join(name)}", Marshal.GetLastPInvokeError());
    }

    /// <summary>rename(2) of a name in this directory to another name in it (replacing it atomically).</summary>
    public void Rename(string name, string newName)
    {
        if (Interop.Renameat(Handle, name, Handle, newName) != 0)
            throw new NativeException("renameat", $"{Join(name)}, {Join(newName)}", Marshal.GetLastPInvokeError());
    }

    /// <summary>An overlayfs whiteout (character device 0:0).</summary>
    public void CreateWhiteout(string name)
    {
        if (Interop.Mknodat(Handle, name, Interop.S_IFCHR, 0) != 0)
            throw new NativeException("mknodat", Join(name), Marshal.GetLastPInvokeError());
    }

    public void CreateFifo(string name, int mode)
    {
        if (Interop.Mknodat(Handle, name, Interop.S_IFIFO | (uint)(mode & 0xFFF), 0) != 0)
            throw new NativeException("mknodat", Join(name), Marshal.GetLastPInvokeError());
    }

    /// <summary>Removes a name: a file, symlink or device, or a whole directory tree (walked by descriptor,
    /// never through a symlink). False when it did not exist.</summary>
    public bool Remove(string name)
    {
        if (Stat(name) is not { } st)
            return false;
        if (st.IsDirectory)
        {
            using (BeneathDirectory sub = OpenDirectory(name))
            {
                foreach (string child in sub.List())
                    sub.Remove(child);
            }
            if (Interop.Unlinkat(Handle, name, Interop.AT_REMOVEDIR) != 0)
                throw new NativeException("unlinkat", Join(name), Marshal.GetLastPInvokeError());
            return true;
        }
        if (Interop.Unlinkat(Handle, name, 0) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            return errno == Errno.ENOENT ? false : throw new NativeException("unlinkat", Join(name), errno);
        }
        return true;
    }

    /// <summary>The names in this directory (read through its descriptor).</summary>
    public IReadOnlyList<string> List()
    {
        bool added = false;
        Handle.DangerousAddRef(ref added);
        try
        {
            return Directory.EnumerateFileSystemEntries($"/proc/self/fd/{Handle.Fd}")
                .Select(p => System.IO.Path.GetFileName(p)).ToList();
        }
        finally
        {
            if (added)
                Handle.DangerousRelease();
        }
    }

    /// <summary>lchown of a name in this directory.</summary>
    public void ChangeOwner(string name, uint uid, uint gid)
    {
        if (Interop.Fchownat(Handle, name, uid, gid, Interop.AT_SYMLINK_NOFOLLOW) != 0)
            throw new NativeException("fchownat", Join(name), Marshal.GetLastPInvokeError());
    }

    /// <summary>Sets a name's modification and access times, without following a symlink.</summary>
    public void SetTimes(string name, DateTimeOffset time)
    {
        Interop.Timespec* times = stackalloc Interop.Timespec[2];
        times[0] = times[1] = ToTimespec(time);
        if (Interop.Utimensat(Handle, name, times, Interop.AT_SYMLINK_NOFOLLOW) != 0)
            throw new NativeException("utimensat", Join(name), Marshal.GetLastPInvokeError());
    }

    /// <summary>fchmod/fchown/futimens/fsetxattr of an open file or directory.</summary>
    public static void SetMode(SafeHandle fd, uint mode, string what)
    {
        if (Interop.Fchmod(fd, mode & 0xFFF) != 0)
            throw new NativeException("fchmod", what, Marshal.GetLastPInvokeError());
    }

    public static void SetOwner(SafeHandle fd, uint uid, uint gid, string what)
    {
        if (Interop.Fchown(fd, uid, gid) != 0)
            throw new NativeException("fchown", what, Marshal.GetLastPInvokeError());
    }

    public static void SetTimes(SafeHandle fd, DateTimeOffset time, string what)
    {
        Interop.Timespec* times = stackalloc Interop.Timespec[2];
        times[0] = times[1] = ToTimespec(time);
        if (Interop.Futimens(fd, times) != 0)
            throw new NativeException("futimens", what, Marshal.GetLastPInvokeError());
    }

    public static void SetExtendedAttribute(SafeHandle fd, string name, ReadOnlySpan<byte> value, string what)
    {
        fixed (byte* p = value)
        {
            if (Interop.Fsetxattr(fd, name, p, (nuint)value.Length, 0) != 0)
                throw new NativeException("fsetxattr", $"{what}, {name}", Marshal.GetLastPInvokeError());
        }
    }

    /// <summary>lgetxattr of a path; null when the attribute is not set.</summary>
    public static byte[]? GetExtendedAttribute(string path, string name)
    {
        byte* buf = stackalloc byte[4096];
        nint n = Interop.Lgetxattr(path, name, buf, 4096);
        if (n < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            return errno == 61 /* ENODATA */ ? null : throw new NativeException("lgetxattr", $"{path}, {name}", errno);
        }
        return new ReadOnlySpan<byte>(buf, (int)n).ToArray();
    }

    private static Interop.Timespec ToTimespec(DateTimeOffset time)
    {
        long ticks = (time.UtcDateTime - DateTime.UnixEpoch).Ticks;
        long seconds = Math.DivRem(ticks, TimeSpan.TicksPerSecond, out long rest);
        if (rest < 0)
        {
            seconds--;
            rest += TimeSpan.TicksPerSecond;
        }
        return new Interop.Timespec { Seconds = seconds, Nanoseconds = rest * 100 };
    }

    private string Join(string name) => name.Length == 0 ? Path : Path.EndsWith('/') ? Path + name : Path + "/" + name;

    private static byte[] Utf8(string s)
    {
        byte[] bytes = new byte[Encoding.UTF8.GetByteCount(s) + 1];
        Encoding.UTF8.GetBytes(s, bytes);
        return bytes;
    }

    public void Dispose() => Handle.Dispose();
}
