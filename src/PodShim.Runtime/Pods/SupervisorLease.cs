using System.Globalization;
using PodShim.Interop;
using PodShim.Runtime.Recovery;
using PodShim.Runtime.State;

namespace PodShim.Runtime.Pods;

/// <summary>Whether a pod has a supervisor: none (finished, or never started), a live one, or a dead one to replace.</summary>
public enum SupervisorState { None, Live, Stale }

/// <summary>
/// supervisor.pid holds "PID STARTTICKS": a pid alone could have been recycled by another process, the pair
/// cannot. The file exists from the moment a supervisor is started until it ends normally, so a file whose
/// process is gone is the mark of a supervisor that was killed (SIGKILL, OOM, a crash).
/// </summary>
public static class SupervisorRecord
{
    public static void Write(PodPaths paths, int pid, string procRoot = ProcessInfo.DefaultProcRoot)
    {
        ulong start = ProcessInfo.Read(pid, procRoot)?.StartTicks ?? 0;
        AtomicFile.WriteAllText(paths.SupervisorPid,
            $"{pid.ToString(CultureInfo.InvariantCulture)} {start.ToString(CultureInfo.InvariantCulture)}\n");
    }

    /// <summary>(pid, start ticks; 0 when the file has the pid only). Null when missing or unreadable.</summary>
    public static (int Pid, ulong StartTicks)? Read(PodPaths paths)
    {
        try
        {
            string[] f = File.ReadAllText(paths.SupervisorPid).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (f.Length == 0 || !int.TryParse(f[0], NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
                return null;
            ulong start = f.Length > 1 && ulong.TryParse(f[1], NumberStyles.None, CultureInfo.InvariantCulture, out ulong s) ? s : 0;
            return (pid, start);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public static SupervisorState Check(PodPaths paths, string procRoot = ProcessInfo.DefaultProcRoot)
    {
        if (Read(paths) is not { } record)
            return File.Exists(paths.SupervisorPid) ? SupervisorState.Stale : SupervisorState.None;
        return IsSameProcess(record.Pid, record.StartTicks, procRoot) ? SupervisorState.Live : SupervisorState.Stale;
    }

    /// <summary>The live supervisor's pid, or null.</summary>
    public static int? LivePid(PodPaths paths, string procRoot = ProcessInfo.DefaultProcRoot) =>
        Read(paths) is { } r && IsSameProcess(r.Pid, r.StartTicks, procRoot) ? r.Pid : null;

    private static bool IsSameProcess(int pid, ulong startTicks, string procRoot) =>
        ProcessInfo.Read(pid, procRoot) is { IsAlive: true } p && (startTicks == 0 || p.StartTicks == startTicks);
}

/// <summary>
/// A supervisor's hold on its pod: the flock on supervisor.lock (exactly one supervisor per pod, even when
/// two commands notice a dead one at once) and supervisor.pid with this process in it.
/// </summary>
public sealed class SupervisorLease : IDisposable
{
    private readonly PodPaths _paths;
    private readonly FileLease _lock;

    private SupervisorLease(PodPaths paths, FileLease fileLock)
    {
        _paths = paths;
        _lock = fileLock;
    }

    /// <summary>
    /// Takes the pod's lock, retrying for up to <paramref name="wait"/> (a command probing the lock holds it
    /// shared for an instant); null when another supervisor holds it.
    /// </summary>
    public static SupervisorLease? TryAcquire(PodPaths paths, TimeSpan wait)
    {
        long deadline = Environment.TickCount64 + (long)wait.TotalMilliseconds;
        while (true)
        {
            if (FileLease.TryAcquire(paths.SupervisorLock) is { } held)
            {
                SupervisorRecord.Write(paths, Environment.ProcessId);
                return new SupervisorLease(paths, held);
            }
            if (Environment.TickCount64 >= deadline)
                return null;
            Thread.Sleep(20);
        }
    }

    /// <summary>True while some supervisor holds the pod's lock.</summary>
    public static bool IsHeld(PodPaths paths) => FileLease.IsHeld(paths.SupervisorLock);

    /// <summary>The supervisor ends normally: supervisor.pid goes (the pod no longer needs one), then the lock.</summary>
    public void Dispose()
    {
        if (SupervisorRecord.Read(_paths) is { } r && r.Pid == Environment.ProcessId)
        {
            try
            {
                File.Delete(_paths.SupervisorPid);
            }
            catch (IOException)
            {
            }
        }
        _lock.Dispose();
    }
}
