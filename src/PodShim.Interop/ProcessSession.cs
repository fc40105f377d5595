using System.Runtime.InteropServices;

namespace PodShim.Interop;

/// <summary>Detaching a process from its terminal: its own session, stdio on /dev/null and a log file.</summary>
public static class ProcessSession
{
    /// <summary>
    /// setsid(), then stdin from /dev/null and stdout/stderr appended to <paramref name="logPath"/>.
    /// Whatever the caller's stdio were (a terminal, a pipe a test reads to its end) is let go.
    /// </summary>
    public static void Detach(string logPath)
    {
        // EPERM: already a process-group leader (then already detached enough); anything else is a bug.
        if (Interop.Setsid() < 0 && Marshal.GetLastPInvokeError() != Errno.EPERM)
            throw new NativeException("setsid", null, Marshal.GetLastPInvokeError());
        int devNull = Interop.Open("/dev/null", Interop.O_RDWR | Interop.O_CLOEXEC, 0);
        if (devNull < 0)
            throw new NativeException("open", "/dev/null", Marshal.GetLastPInvokeError());
        int log = Interop.Open(logPath, Interop.O_WRONLY | Interop.O_CREAT | Interop.O_APPEND | Interop.O_CLOEXEC, 0b110_100_000);
        if (log < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            Interop.Close(devNull);
            throw new NativeException("open", logPath, errno);
        }
        try
        {
            // dup2 clears close-on-exec on the new descriptors: stdio stay stdio.
            NativeException.ThrowIfMinusOne(Interop.Dup2(devNull, 0), "dup2", "/dev/null, 0");
            NativeException.ThrowIfMinusOne(Interop.Dup2(log, 1), "dup2", $"{logPath}, 1");
            NativeException.ThrowIfMinusOne(Interop.Dup2(log, 2), "dup2", $"{logPath}, 2");
        }
        finally
        {
            Interop.Close(devNull);
            Interop.Close(log);
        }
    }
}

/// <summary>
/// An advisory whole-file lock (flock) held while this object lives. The kernel drops it when the
/// process dies, however it dies: a lock that cannot be taken means a live holder.
/// </summary>
public sealed class FileLease : IDisposable
{
    private readonly SafeFdHandle _fd;

    private FileLease(SafeFdHandle fd) => _fd = fd;

    /// <summary>Takes the lock without waiting; null when another open file description holds it.</summary>
    public static FileLease? TryAcquire(string path, bool exclusive = true)
    {
        int fd = Interop.Open(path, Interop.O_RDWR | Interop.O_CREAT | Interop.O_CLOEXEC, 0b110_000_000);
        if (fd < 0)
            throw new NativeException("open", path, Marshal.GetLastPInvokeError());
        var handle = new SafeFdHandle(fd);
        while (true)
        {
            if (Interop.Flock(handle, (exclusive ? Interop.LOCK_EX : Interop.LOCK_SH) | Interop.LOCK_NB) == 0)
                return new FileLease(handle);
            int errno = Marshal.GetLastPInvokeError();
            if (errno == Errno.EINTR)
                continue;
            handle.Dispose();
            return errno == Errno.EAGAIN ? null : throw new NativeException("flock", path, errno);
        }
    }

    /// <summary>True when some process holds the lock on <paramref name="path"/> (a missing file: false).</summary>
    public static bool IsHeld(string path)
    {
        // Never creates the file: the directory may be being removed (a new file would make that fail).
        int fd = Interop.Open(path, Interop.O_RDWR | Interop.O_CLOEXEC, 0);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            return errno is Errno.ENOENT or Errno.ENOTDIR ? false : throw new NativeException("open", path, errno);
        }
        using var handle = new SafeFdHandle(fd);
        while (true)
        {
            if (Interop.Flock(handle, Interop.LOCK_SH | Interop.LOCK_NB) == 0)
                return false; // closing the descriptor drops the probe's own lock
            int errno = Marshal.GetLastPInvokeError();
            if (errno != Errno.EINTR)
                return errno == Errno.EAGAIN ? true : throw new NativeException("flock", path, errno);
        }
    }

    public void Dispose() => _fd.Dispose();
}
