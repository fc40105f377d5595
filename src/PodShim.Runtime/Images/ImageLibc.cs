using System.Runtime.InteropServices;

namespace PodShim.Runtime.Images;

/// <summary>The few libc calls the image code needs and .NET does not expose.</summary>
internal static unsafe partial class ImageLibc
{
    private const string Lib = "libc";
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxBasicStats = 0x7ff;

    internal const uint S_IFMT = 0xF000;
    internal const uint S_IFDIR = 0x4000;
    internal const uint S_IFREG = 0x8000;
    internal const uint S_IFLNK = 0xA000;

    [LibraryImport(Lib, EntryPoint = "lchown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int LchownNative(string path, uint owner, uint group);

    [LibraryImport(Lib, EntryPoint = "link", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int LinkNative(string oldPath, string newPath);

    [LibraryImport(Lib, EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int StatxNative(int dirFd, string path, int flags, uint mask, byte* buffer);

    /// <summary>What lstat says about a path (does not follow a final symlink).</summary>
    internal readonly record struct StatInfo(uint Mode, uint Uid, uint Gid, uint NLink, ulong Ino, uint DevMajor, uint DevMinor)
    {
        public uint Type => Mode & S_IFMT;
        public bool IsDirectory => Type == S_IFDIR;
        public bool IsRegularFile => Type == S_IFREG;
        public bool IsSymlink => Type == S_IFLNK;
        public UnixFileMode Permissions => (UnixFileMode)(Mode & 0xFFF);
    }

    internal static void Lchown(string path, uint uid, uint gid)
    {
        if (LchownNative(path, uid, gid) != 0)
            throw Error("lchown", path, Marshal.GetLastPInvokeError());
    }

    internal static void Link(string existing, string newPath)
    {
        if (LinkNative(existing, newPath) != 0)
            throw Error("link", $"{existing}, {newPath}", Marshal.GetLastPInvokeError());
    }

    /// <summary>lstat via statx (whose struct layout is the same on every architecture).</summary>
    internal static bool TryLstat(string path, out StatInfo info)
    {
        byte* buf = stackalloc byte[256];
        if (StatxNative(AtFdCwd, path, AtSymlinkNoFollow, StatxBasicStats, buf) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno is 2 or 20) // ENOENT, ENOTDIR
            {
                info = default;
                return false;
            }
            throw Error("statx", path, errno);
        }
        info = new StatInfo(
            Mode: *(ushort*)(buf + 28),
            Uid: *(uint*)(buf + 20),
            Gid: *(uint*)(buf + 24),
            NLink: *(uint*)(buf + 16),
            Ino: *(ulong*)(buf + 32),
            DevMajor: *(uint*)(buf + 136),
            DevMinor: *(uint*)(buf + 140));
        return true;
    }

    internal static StatInfo Lstat(string path) =>
        TryLstat(path, out StatInfo info) ? info : throw Error("statx", path, 2);

    internal static IOException Error(string call, string path, int errno) =>
        new($"{call}({path}): {ErrnoName(errno)}");

    private static string ErrnoName(int errno) => errno switch
    {
        1 => "EPERM",
        2 => "ENOENT",
        5 => "EIO",
        13 => "EACCES",
        17 => "EEXIST",
        18 => "EXDEV",
        20 => "ENOTDIR",
        21 => "EISDIR",
        22 => "EINVAL",
        28 => "ENOSPC",
        30 => "EROFS",
        31 => "EMLINK",
        36 => "ENAMETOOLONG",
        40 => "ELOOP",
        _ => $"errno {errno} ({Marshal.GetPInvokeErrorMessage(errno)})",
    };
}
