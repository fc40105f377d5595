namespace PodShim.Interop;

/// <summary>A command to run inside a running container's namespaces (ps_exec).</summary>
public sealed record ExecRequest
{
    public required SafeFdHandle TargetPidfd { get; init; }
    public int Namespaces { get; init; } = PodShim.Interop.Namespaces.Mount | PodShim.Interop.Namespaces.Pid |
        PodShim.Interop.Namespaces.Network | PodShim.Interop.Namespaces.Ipc | PodShim.Interop.Namespaces.Uts;
    public SafeFdHandle? CgroupDirectory { get; init; }
    public required IReadOnlyList<string> Argv { get; init; }
    public required IReadOnlyList<string> Env { get; init; }
    public string WorkingDirectory { get; init; } = "/";
    public ProcessIdentity Identity { get; init; } = new();
    public bool StdinFromNull { get; init; } = true;
    /// <summary>podshim-keeper, whose --enter mode joins the container.</summary>
    public string KeeperPath { get; init; } = Path.Combine(NativeLibraryResolver.BinDirectory, "podshim-keeper");
}

/// <summary>A running exec'd command: a child of this process, with its stdio pipes.</summary>
public sealed class ExecProcess : IDisposable
{
    internal ExecProcess(int pid, SafeFdHandle pidfd, SafeFdHandle? stdin, SafeFdHandle stdout, SafeFdHandle stderr)
    {
        Pid = pid;
        Pidfd = pidfd;
        Stdin = stdin;
        Stdout = stdout;
        Stderr = stderr;
    }

    public int Pid { get; }
    public SafeFdHandle Pidfd { get; }
    public SafeFdHandle? Stdin { get; }
    public SafeFdHandle Stdout { get; }
    public SafeFdHandle Stderr { get; }

    public void Dispose()
    {
        Stdin?.Dispose();
        Stdout.Dispose();
        Stderr.Dispose();
        Pidfd.Dispose();
    }
}

public static unsafe class NativeExec
{
    /// <summary>Starts the command; throws <see cref="SpawnException"/> when it cannot be exec'd.</summary>
    public static ExecProcess Start(ExecRequest request, int timeoutMs = 30_000)
    {
        ContainerSpawner.EnsureAbi();
        using var arena = new NativeArena();
        uint[] groups = request.Identity.SupplementalGroups.ToArray();
        bool targetRef = false, cgroupRef = false;
        Interop.ExecResult result;
        try
        {
            request.TargetPidfd.DangerousAddRef(ref targetRef);
            request.CgroupDirectory?.DangerousAddRef(ref cgroupRef);
            var spec = new Interop.ExecSpec
            {
                TargetPidfd = request.TargetPidfd.Fd,
                NsFlags = request.Namespaces,
                CgroupFd = request.CgroupDirectory?.Fd ?? -1,
                NoNewPrivs = request.Identity.NoNewPrivileges ? 1 : 0,
                Argv = arena.StringArray(request.Argv),
                Envp = arena.StringArray(request.Env),
                Cwd = arena.String(request.WorkingDirectory),
                Uid = request.Identity.Uid,
                Gid = request.Identity.Gid,
                Groups = arena.Array<uint>(groups),
                GroupCount = groups.Length,
                StdinNull = request.StdinFromNull ? 1 : 0,
                CapBounding = request.Identity.CapabilityBoundingSet,
                KeeperPath = arena.String(request.KeeperPath),
            };
            NativeException.ThrowIfNegative(Interop.Exec(&spec, &result), "ps_exec", request.Argv.Count > 0 ? request.Argv[0] : null);
        }
        finally
        {
            if (targetRef)
                request.TargetPidfd.DangerousRelease();
            if (cgroupRef)
                request.CgroupDirectory!.DangerousRelease();
        }

        using var status = new SafeFdHandle(result.StatusFd);
        SafeFdHandle? stdin = result.StdinFd >= 0 ? new SafeFdHandle(result.StdinFd) : null;
        var stdout = new SafeFdHandle(result.StdoutFd);
        var stderr = new SafeFdHandle(result.StderrFd);
        SafeFdHandle? pidfd = result.Pidfd >= 0 ? new SafeFdHandle(result.Pidfd) : null;
        try
        {
            (SpawnStep Step, int Errno)? failure = result.FailStep != 0 ? ((SpawnStep)result.FailStep, result.FailErrno) : null;
            if (pidfd is not null && failure is null)
                failure = StatusPipe.Read(status, timeoutMs);
            if (failure is { } f)
            {
                if (pidfd is not null)
                    Posix.WaitExit(pidfd, 5_000);
                string argv0 = request.Argv[0];
                string text = f.Step switch
                {
                    SpawnStep.Exec when f.Errno == Errno.ENOENT && !argv0.Contains('/') => $"exec: \"{argv0}\": executable file not found in $PATH",
                    SpawnStep.Exec => $"exec: \"{argv0}\": {ContainerSpawner.ErrorText(f.Errno)}",
                    SpawnStep.Setns => NativeException.Format("setns", "container namespaces", f.Errno),
                    SpawnStep.KeeperExec => NativeException.Format("execve", request.KeeperPath, f.Errno),
                    _ => NativeException.Format(f.Step.ToString(), argv0, f.Errno),
                };
                throw new SpawnException(f.Step, f.Errno, text);
            }
            return new ExecProcess(result.Pid, pidfd!, stdin, stdout, stderr);
        }
        catch
        {
            stdin?.Dispose();
            stdout.Dispose();
            stderr.Dispose();
            pidfd?.Dispose();
            throw;
        }
    }
}

/// <summary>The outcome of a command run to its end (or to its timeout) by <see cref="ExecRunner"/>.</summary>
public sealed record ExecOutcome(int ExitCode, int Signal, bool TimedOut, byte[] Output, bool OutputTruncated);

/// <summary>Runs a command in a container to completion: stdout and stderr captured together
/// (as kubelet's exec probes do) up to a cap, the command killed when the timeout runs out.</summary>
public static unsafe class ExecRunner
{
    public static ExecOutcome Run(ExecRequest request, TimeSpan timeout, int maxOutputBytes = 10 * 1024)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        using ExecProcess process = NativeExec.Start(request);
        process.Stdin?.Dispose();
        var output = new MemoryStream();
        bool truncated = false, timedOut = false;
        Span<byte> buffer = stackalloc byte[4096];
        SafeFdHandle?[] streams = [process.Stdout, process.Stderr];
        (int ExitCode, int Signal)? exit = null;
        var fds = stackalloc Interop.PollFd[3];
        while (exit is null || streams[0] is not null || streams[1] is not null)
        {
            int wait = (int)Math.Max(0, deadline - Environment.TickCount64);
            if (wait == 0 && exit is null && !timedOut)
            {
                timedOut = true;
                Posix.SendSignal(process.Pidfd, Posix.SIGKILL);
            }
            if (exit is not null)
                wait = Math.Min(wait, 200); // a grandchild may hold the pipes: drain briefly only
            int n = 0;
            foreach (SafeFdHandle? s in streams)
                if (s is not null)
                    fds[n++] = new Interop.PollFd { Fd = s.Fd, Events = Interop.POLLIN };
            if (exit is null)
                fds[n++] = new Interop.PollFd { Fd = process.Pidfd.Fd, Events = Interop.POLLIN };
            int ready = Interop.Poll(fds, (nuint)n, timedOut && exit is null ? 5_000 : wait);
            if (ready == 0 && exit is not null)
                break;
            for (int i = 0; i < streams.Length; i++)
            {
                if (streams[i] is not SafeFdHandle s || !Posix.PollReadable(s, 0))
                    continue;
                int got = Posix.Read(s, buffer);
                if (got == 0)
                {
                    s.Dispose();
                    streams[i] = null;
                    continue;
                }
                int room = (int)Math.Max(0, maxOutputBytes - output.Length);
                output.Write(buffer[..Math.Min(got, room)]);
                truncated |= got > room;
            }
            if (exit is null)
                exit = Posix.WaitExit(process.Pidfd, 0);
        }
        (int code, int signal) = exit ?? (-1, 0);
        return new ExecOutcome(code, signal, timedOut, output.ToArray(), truncated);
    }
}
