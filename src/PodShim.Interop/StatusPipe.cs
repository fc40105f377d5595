using System.Runtime.InteropServices;

namespace PodShim.Interop;

/// <summary>Reads {step, errno} messages from a child's close-on-exec status pipe.</summary>
internal static unsafe class StatusPipe
{
    /// <summary>Next message, or null at EOF (the child exec'd). Throws TimeoutException after timeoutMs.</summary>
    public static (SpawnStep Step, int Errno)? Read(SafeFdHandle fd, int timeoutMs)
    {
        Span<byte> buffer = stackalloc byte[8];
        int got = 0;
        long deadline = Environment.TickCount64 + timeoutMs;
        while (got < buffer.Length)
        {
            Posix.WaitReadable(fd, (int)Math.Max(0, deadline - Environment.TickCount64), "status pipe");
            nint n;
            fixed (byte* p = buffer)
                n = Interop.Read(fd, p + got, (nuint)(buffer.Length - got));
            if (n < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == Errno.EINTR)
                    continue;
                throw new NativeException("read", "status pipe", errno);
            }
            if (n == 0)
                return got == 0 ? null : throw new NativeException("read", "status pipe (torn message)", Errno.EPROTO);
            got += (int)n;
        }
        return ((SpawnStep)BitConverter.ToInt32(buffer), BitConverter.ToInt32(buffer[4..]));
    }
}
