using PodShim.Interop.Syscalls;

namespace PodShim.UnitTests.Fakes;

/// <summary>One call made through <see cref="ISyscalls"/>, as recorded by <see cref="RecordingSyscalls"/>.</summary>
public abstract record SyscallRecord;

public sealed record MountCall(string? Source, string Target, string? FsType, ulong Flags, string? Data) : SyscallRecord;

public sealed record UnmountCall(string Target, bool Detach) : SyscallRecord;

public sealed record KillCall(int Pid, int Signal) : SyscallRecord;

public sealed record CreateDirectoryCall(string Path, UnixFileMode Mode) : SyscallRecord;

/// <summary>
/// An <see cref="ISyscalls"/> that records every call in order and performs nothing privileged:
/// CreateDirectory really creates the directory (so later file writes under it work, inside a
/// test's temporary directory) but does not change its mode; mounts and signals are only recorded.
/// </summary>
public sealed class RecordingSyscalls : ISyscalls
{
    private readonly List<SyscallRecord> _calls = new();

    public IReadOnlyList<SyscallRecord> Calls => _calls;
    public IEnumerable<MountCall> Mounts => _calls.OfType<MountCall>();
    public IEnumerable<UnmountCall> Unmounts => _calls.OfType<UnmountCall>();
    public IEnumerable<CreateDirectoryCall> Directories => _calls.OfType<CreateDirectoryCall>();

    /// <summary>When set, Mount throws this for a target it matches (to test cleanup after a failure).</summary>
    public Func<string, Exception?>? FailMount { get; set; }

    /// <summary>The value Unmount and Kill return.</summary>
    public bool Result { get; set; } = true;

    public void Mount(string? source, string target, string? fsType, ulong flags, string? data)
    {
        _calls.Add(new MountCall(source, target, fsType, flags, data));
        if (FailMount?.Invoke(target) is { } error)
            throw error;
    }

    public bool Unmount(string target, bool detach)
    {
        _calls.Add(new UnmountCall(target, detach));
        return Result;
    }

    public bool Kill(int pid, int signal)
    {
        _calls.Add(new KillCall(pid, signal));
        return Result;
    }

    public void CreateDirectory(string path, UnixFileMode mode)
    {
        _calls.Add(new CreateDirectoryCall(path, mode));
        Directory.CreateDirectory(path);
    }
}
