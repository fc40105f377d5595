using System.Text;

namespace PodShim.Interop;

/// <summary>The pod's infra holder (podshim-pause): owns the pod's net/ipc/uts (and maybe pid) namespaces.</summary>
public sealed class SpawnedHolder : IDisposable
{
    internal SpawnedHolder(int pid, SafeFdHandle pidfd)
    {
        Pid = pid;
        Pidfd = pidfd;
    }

    public int Pid { get; }
    public SafeFdHandle Pidfd { get; }

    /// <summary>Takes over a holder another supervisor started (recovery): a pidfd on its pid, which the caller
    /// has checked is that holder. Not our child: its exit is seen through the pidfd, and init reaps it.</summary>
    public static SpawnedHolder Adopt(int pid) => new(pid, Posix.PidfdOpen(pid));

    public void Dispose() => Pidfd.Dispose();
}

public static unsafe class HolderSpawner
{
    /// <summary>
    /// Starts podshim-pause in new namespaces and waits until it says it is ready (lo up, hostname set).
    /// With <paramref name="cgroupDirectory"/> (a cgroup v2 directory) it starts there (CLONE_INTO_CGROUP).
    /// </summary>
    public static SpawnedHolder Spawn(string pausePath, string? hostname, int namespaces, int timeoutMs = 10_000,
        SafeFdHandle? cgroupDirectory = null)
    {
        ContainerSpawner.EnsureAbi();
        using var arena = new NativeArena();
        Interop.HolderResult result;
        bool cgroupRef = false;
        try
        {
            cgroupDirectory?.DangerousAddRef(ref cgroupRef);
            var spec = new Interop.HolderSpec
            {
                PausePath = arena.String(pausePath), Hostname = arena.String(hostname), NsFlags = namespaces,
                CgroupFd = cgroupDirectory?.Fd ?? -1,
            };
            int r = Interop.HolderSpawn(&spec, &result);
            if (r < 0)
                throw new NativeException(cgroupDirectory is null ? "ps_holder_spawn" : "ps_holder_spawn(CLONE_INTO_CGROUP)", pausePath, -r);
        }
        finally
        {
            if (cgroupRef)
                cgroupDirectory!.DangerousRelease();
        }
        var holder = new SpawnedHolder(result.Pid, new SafeFdHandle(result.Pidfd));
        using var ready = new SafeFdHandle(result.ReadyFd);
        try
        {
            Posix.WaitReadable(ready, timeoutMs, "the pod's holder to be ready");
            Span<byte> buffer = stackalloc byte[512];
            int n = Posix.Read(ready, buffer);
            if (n == 1 && buffer[0] == (byte)'r')
                return holder;
            string why = n == 0 ? "exited before it was ready" : Encoding.UTF8.GetString(buffer[..n]).Trim();
            throw new InvalidOperationException($"podshim-pause: {why}");
        }
        catch
        {
            Posix.SendSignal(holder.Pidfd, Posix.SIGKILL);
            Posix.WaitExit(holder.Pidfd, 5_000);
            holder.Dispose();
            throw;
        }
    }
}
