using System.Runtime.InteropServices;

namespace PodShim.Interop;

/// <summary>Small managed wrappers over the libc calls the runtime needs.</summary>
public static unsafe class Posix
{
    public const int SIGKILL = 9, SIGTERM = 15, SIGINT = 2;

    public static bool IsRoot => Interop.Geteuid() == 0;

    /// <summary>Waits until fd is readable (data, EOF or error). Throws TimeoutException.</summary>
    public static void WaitReadable(SafeFdHandle fd, int timeoutMs, string what)
    {
        if (!PollReadable(fd, timeoutMs))
            throw new TimeoutException($"timed out after {timeoutMs} ms waiting for {what}");
    }

    /// <summary>True when fd is readable within timeoutMs (-1: no limit).</summary>
    public static bool PollReadable(SafeFdHandle fd, int timeoutMs)
    {
        bool added = false;
        fd.DangerousAddRef(ref added);
        try
        {
            var pfd = new Interop.PollFd { Fd = fd.Fd, Events = Interop.POLLIN };
            while (true)
            {
                int r = Interop.Poll(&pfd, 1, timeoutMs);
                if (r >= 0)
                    return r > 0;
                int errno = Marshal.GetLastPInvokeError();
                if (errno != Errno.EINTR)
                    throw new NativeException("poll", $"fd {fd.Fd}", errno);
            }
        }
        finally
        {
            if (added)
                fd.DangerousRelease();
        }
    }

    /// <summary>close(2) of a raw descriptor the caller owns (a probe's socket). Its result is not checked: Linux
    /// releases the descriptor even when close reports an error, so there is nothing to retry or undo.</summary>
    public static void Close(int fd) => _ = Interop.Close(fd);

    /// <summary>Reads what is available (blocking until something or EOF). Returns 0 at EOF.</summary>
    public static int Read(SafeFdHandle fd, Span<byte> buffer)
    {
        while (true)
        {
            nint n;
            fixed (byte* p = buffer)
                n = Interop.Read(fd, p, (nuint)buffer.Length);
            if (n >= 0)
                return (int)n;
            int errno = Marshal.GetLastPInvokeError();
            if (errno != Errno.EINTR)
                throw new NativeException("read", $"fd {fd.Fd}", errno);
        }
    }

    public static void WriteAll(SafeFdHandle fd, ReadOnlySpan<byte> data, string what)
    {
        while (!data.IsEmpty)
        {
            nint n;
            fixed (byte* p = data)
                n = Interop.Write(fd, p, (nuint)data.Length);
            if (n < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == Errno.EINTR)
                    continue;
                throw new NativeException("write", what, errno);
            }
            data = data[(int)n..];
        }
    }

    public static SafeFdHandle PidfdOpen(int pid)
    {
        int fd = Interop.PidfdOpen(pid, 0);
        return fd < 0 ? throw new NativeException("pidfd_open", pid.ToString(), Marshal.GetLastPInvokeError()) : new SafeFdHandle(fd);
    }

    /// <summary>Sends a signal through a pidfd; false when the process is already gone.</summary>
    public static bool SendSignal(SafeFdHandle pidfd, int signal)
    {
        if (Interop.PidfdSendSignal(pidfd, signal, IntPtr.Zero, 0) == 0)
            return true;
        int errno = Marshal.GetLastPInvokeError();
        return errno == Errno.ESRCH ? false : throw new NativeException("pidfd_send_signal", $"signal {signal}", errno);
    }

    /// <summary>Sends a signal by pid; false when there is no such process.</summary>
    public static bool Kill(int pid, int signal)
    {
        if (Interop.Kill(pid, signal) == 0)
            return true;
        int errno = Marshal.GetLastPInvokeError();
        return errno == Errno.ESRCH ? false : throw new NativeException("kill", $"{pid}, signal {signal}", errno);
    }

    /// <summary>
    /// Reaps a child through its pidfd. Returns its wait status as (exit code, signal), or null
    /// when it is still running (timeoutMs elapsed) . ECHILD (someone else reaped it) gives (-1, 0).
    /// </summary>
    public static (int ExitCode, int Signal)? WaitExit(SafeFdHandle pidfd, int timeoutMs)
    {
        if (!PollReadable(pidfd, timeoutMs))
            return null;
        Interop.SigInfo info = default;
        while (true)
        {
            if (Interop.Waitid(Interop.P_PIDFD, pidfd.Fd, &info, Interop.WEXITED) == 0)
                break;
            int errno = Marshal.GetLastPInvokeError();
            if (errno == Errno.EINTR)
                continue;
            if (errno == Errno.ECHILD)
                return (-1, 0);
            throw new NativeException("waitid", $"pidfd {pidfd.Fd}", errno);
        }
        return info.Code == Interop.CLD_EXITED ? (info.Status, 0) : (128 + info.Status, info.Status);
    }

    public static void Mount(string? source, string target, string? fsType, ulong flags, string? data)
    {
        if (Interop.Mount(source, target, fsType, flags, data) != 0)
            throw new NativeException("mount", $"{fsType ?? source}, {target}", Marshal.GetLastPInvokeError());
    }

    /// <summary>Unmounts; false when target is not a mount point (EINVAL) or gone (ENOENT).</summary>
    public static bool Unmount(string target, bool detach)
    {
        if (Interop.Umount2(target, detach ? Interop.MNT_DETACH : 0) == 0)
            return true;
        int errno = Marshal.GetLastPInvokeError();
        return errno is Errno.EINVAL or Errno.ENOENT ? false : throw new NativeException("umount2", target, errno);
    }

    /// <summary>Makes this process non-dumpable: nothing can open its /proc/pid/exe or mem (runc CVE-2019-5736).</summary>
    public static void SetNonDumpable() =>
        NativeException.ThrowIfMinusOne(Interop.Prctl(Interop.PR_SET_DUMPABLE, 0, 0, 0, 0), "prctl", "PR_SET_DUMPABLE");

    /// <summary>
    /// Writes <paramref name="text"/> to an existing file with one write(2): cgroup interface files take
    /// each write as one value and report a bad one as that write's errno.
    /// </summary>
    public static void WriteExistingFile(string path, string text)
    {
        int fd = Interop.Open(path, Interop.O_WRONLY | Interop.O_CLOEXEC, 0);
        if (fd < 0)
            throw new NativeException("open", path, Marshal.GetLastPInvokeError());
        using var handle = new SafeFdHandle(fd);
        byte[] bytes = System.Text.Encoding.UTF8.GetBytes(text);
        WriteAll(handle, bytes, path);
    }

    /// <summary>mkdir (one level); false when it already exists.</summary>
    public static bool CreateDirectory(string path, int mode = 0b111_101_101)
    {
        if (Interop.Mkdir(path, mode) == 0)
            return true;
        int errno = Marshal.GetLastPInvokeError();
        return errno == Errno.EEXIST ? false : throw new NativeException("mkdir", path, errno);
    }

    /// <summary>rmdir; false when the directory does not exist.</summary>
    public static bool RemoveDirectory(string path)
    {
        if (Interop.Rmdir(path) == 0)
            return true;
        int errno = Marshal.GetLastPInvokeError();
        return errno == Errno.ENOENT ? false : throw new NativeException("rmdir", path, errno);
    }

    public static SafeFdHandle OpenDirectory(string path)
    {
        int fd = Interop.Open(path, Interop.O_RDONLY | Interop.O_DIRECTORY | Interop.O_CLOEXEC, 0);
        return fd < 0 ? throw new NativeException("open", path, Marshal.GetLastPInvokeError()) : new SafeFdHandle(fd);
    }
}
