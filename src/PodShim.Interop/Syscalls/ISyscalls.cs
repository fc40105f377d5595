namespace PodShim.Interop.Syscalls;

/// <summary>
/// The host-side system calls the runtime makes (mounts, signals), behind a seam so the logic
/// that decides them is unit-tested with a recording fake and no root (as youki's Syscall trait).
/// </summary>
public interface ISyscalls
{
    void Mount(string? source, string target, string? fsType, ulong flags, string? data);
    /// <summary>False when target is not mounted.</summary>
    bool Unmount(string target, bool detach);
    /// <summary>False when the process no longer exists.</summary>
    bool Kill(int pid, int signal);
    void CreateDirectory(string path, UnixFileMode mode);
}

/// <summary>The real Linux implementation.</summary>
public sealed class LinuxSyscalls : ISyscalls
{
    public static readonly LinuxSyscalls Instance = new();

    public void Mount(string? source, string target, string? fsType, ulong flags, string? data) =>
        Posix.Mount(source, target, fsType, flags, data);

    public bool Unmount(string target, bool detach) => Posix.Unmount(target, detach);

    public bool Kill(int pid, int signal) => Posix.Kill(pid, signal);

    public void CreateDirectory(string path, UnixFileMode mode)
    {
        Directory.CreateDirectory(path);
        File.SetUnixFileMode(path, mode);
    }
}

/// <summary>MS_* mount flags.</summary>
public static class MountFlags
{
    public const ulong ReadOnly = 1, NoSuid = 2, NoDev = 4, NoExec = 8, Remount = 32, Bind = 4096, Rec = 16384,
        Private = 1 << 18, Slave = 1 << 19, StrictAtime = 1 << 24;
}
