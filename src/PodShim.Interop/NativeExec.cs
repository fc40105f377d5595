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
    public uint Uid { get; init; }
    public uint Gid { get; init; }
    public IReadOnlyList<uint> SupplementalGroups { get; init; } = [];
    public bool NoNewPrivileges { get; init; }
    public ulong CapabilityBoundingSet { get; init; }
    public bool StdinFromNull { get; init; } = true;
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
        uint[] groups = request.SupplementalGroups.ToArray();
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
                NoNewPrivs = request.NoNewPrivileges ? 1 : 0,
                Argv = arena.StringArray(request.Argv),
                Envp = arena.StringArray(request.Env),
                Cwd = arena.String(request.WorkingDirectory),
                Uid = request.Uid,
                Gid = request.Gid,
                Groups = arena.Array<uint>(groups),
                GroupCount = groups.Length,
                StdinNull = request.StdinFromNull ? 1 : 0,
                CapBounding = request.CapabilityBoundingSet,
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
            var message = StatusPipe.Read(status, timeoutMs);
            if (message is not null)
            {
                string argv0 = request.Argv[0];
                string text = message.Value.Step switch
                {
                    SpawnStep.Exec when message.Value.Errno == Errno.ENOENT => $"exec: \"{argv0}\": executable file not found in $PATH",
                    SpawnStep.Exec => $"exec: \"{argv0}\": {ContainerSpawner.ErrorText(message.Value.Errno)}",
                    SpawnStep.Setns => NativeException.Format("setns", "container namespaces", message.Value.Errno),
                    _ => NativeException.Format(message.Value.Step.ToString(), argv0, message.Value.Errno),
                };
                if (pidfd is not null)
                    Posix.WaitExit(pidfd, 5_000);
                throw new SpawnException(message.Value.Step, message.Value.Errno, text);
            }
            if (pidfd is null)
                throw new SpawnException(SpawnStep.Clone, Errno.EPROTO, "exec helper exited without a result");
            return new ExecProcess(result.Pid, pidfd, stdin, stdout, stderr);
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
