using System.Runtime.InteropServices;

namespace PodShim.Interop;

/// <summary>
/// An exclusive flock(2) on a lock file, held until disposed. It serialises writers that live in
/// different processes (two CLI invocations allocating a ClusterIP at once). The file is opened
/// with open(2) rather than FileStream, because .NET takes its own flock on files it opens.
/// </summary>
public sealed class FileLock : IDisposable
{
    private const int O_RDWR = 0x2, O_CREAT = 0x40;
    private readonly SafeFdHandle _fd;

    private FileLock(SafeFdHandle fd) => _fd = fd;

    /// <summary>Opens (creating it if needed) and locks <paramref name="path"/>, waiting for other holders.</summary>
    public static FileLock Acquire(string path)
    {
        int raw = Interop.Open(path, O_RDWR | O_CREAT | Interop.O_CLOEXEC, 0x180 /* 0600 */);
        if (raw < 0)
            throw new NativeException("open", path, Marshal.GetLastPInvokeError());
        var fd = new SafeFdHandle(raw);
        while (Interop.Flock(fd, Interop.LOCK_EX) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno != Errno.EINTR)
            {
                fd.Dispose();
                throw new NativeException("flock", path, errno);
            }
        }
        return new FileLock(fd);
    }

    /// <summary>Closing the descriptor releases the lock.</summary>
    public void Dispose() => _fd.Dispose();
}
