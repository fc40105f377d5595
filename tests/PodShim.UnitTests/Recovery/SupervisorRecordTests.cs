using PodShim.Runtime.Pods;
using PodShim.Runtime.Recovery;
using PodShim.Runtime.State;
using PodShim.UnitTests.Images;

namespace PodShim.UnitTests.Recovery;

/// <summary>A killed supervisor is told apart from a live one by its pid and start time (a fake /proc here).</summary>
public sealed class SupervisorRecordTests
{
    private static string Stat(int pid, string comm, char state, int ppid, ulong start) =>
        $"{pid} ({comm}) {state} {ppid} 1 1 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 3 0 {start} 1000 200 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0";

    private static void Proc(TempDir proc, int pid, string comm, char state, int ppid, ulong start)
    {
        Directory.CreateDirectory(proc.Sub(pid.ToString()));
        File.WriteAllText(proc.Sub(pid.ToString(), "stat"), Stat(pid, comm, state, ppid, start));
    }

    [Fact]
    public void Stat_lines_parse_even_with_spaces_and_parentheses_in_the_name()
    {
        ProcessInfo p = ProcessInfo.Parse(42, Stat(42, "we ird) (name", 'S', 7, 123456))!;
        Assert.Equal(('S', 7, 123456UL), (p.State, p.ParentPid, p.StartTicks));
        Assert.True(p.IsAlive);
        Assert.False(ProcessInfo.Parse(42, Stat(42, "x", 'Z', 1, 5))!.IsAlive);
        Assert.Null(ProcessInfo.Parse(42, "garbage"));
    }

    [Fact]
    public void A_supervisor_is_live_stale_or_none()
    {
        using var root = new TempDir();
        using var proc = new TempDir();
        var paths = new StateLayout(root.Path).Pod("default", "web");
        Directory.CreateDirectory(paths.Directory);
        Assert.Equal(SupervisorState.None, SupervisorRecord.Check(paths, proc.Path));

        Proc(proc, 500, "podshim", 'S', 1, 1000);
        SupervisorRecord.Write(paths, 500, proc.Path);
        Assert.Equal("500 1000\n", File.ReadAllText(paths.SupervisorPid));
        Assert.Equal(SupervisorState.Live, SupervisorRecord.Check(paths, proc.Path));
        Assert.Equal(500, SupervisorRecord.LivePid(paths, proc.Path));

        // The pid was recycled by another process: stale.
        Proc(proc, 500, "bash", 'S', 1, 2000);
        Assert.Equal(SupervisorState.Stale, SupervisorRecord.Check(paths, proc.Path));
        Assert.Null(SupervisorRecord.LivePid(paths, proc.Path));

        // Killed and reaped, or a zombie: stale.
        Directory.Delete(proc.Sub("500"), recursive: true);
        Assert.Equal(SupervisorState.Stale, SupervisorRecord.Check(paths, proc.Path));
        Proc(proc, 500, "podshim", 'Z', 1, 1000);
        Assert.Equal(SupervisorState.Stale, SupervisorRecord.Check(paths, proc.Path));

        // An unreadable record is stale too (something wrote it and died).
        File.WriteAllText(paths.SupervisorPid, "garbage");
        Assert.Equal(SupervisorState.Stale, SupervisorRecord.Check(paths, proc.Path));
    }

    [Fact]
    public void A_pid_only_record_from_an_older_podshim_is_checked_by_pid()
    {
        using var root = new TempDir();
        using var proc = new TempDir();
        var paths = new StateLayout(root.Path).Pod("default", "web");
        Directory.CreateDirectory(paths.Directory);
        File.WriteAllText(paths.SupervisorPid, "600\n");
        Proc(proc, 600, "podshim", 'S', 1, 77);
        Assert.Equal(SupervisorState.Live, SupervisorRecord.Check(paths, proc.Path));
    }

    [Fact]
    public void The_lease_is_exclusive_and_writes_this_process_into_supervisor_pid()
    {
        using var root = new TempDir();
        var paths = new StateLayout(root.Path).Pod("default", "web");
        Directory.CreateDirectory(paths.Directory);
        using (SupervisorLease? lease = SupervisorLease.TryAcquire(paths, TimeSpan.Zero))
        {
            Assert.NotNull(lease);
            Assert.True(SupervisorLease.IsHeld(paths));
            Assert.Null(SupervisorLease.TryAcquire(paths, TimeSpan.FromMilliseconds(50)));
            Assert.Equal(Environment.ProcessId, SupervisorRecord.Read(paths)!.Value.Pid);
            Assert.Equal(SupervisorState.Live, SupervisorRecord.Check(paths));
        }
        // Ended normally: no record left, so nothing to recover.
        Assert.False(File.Exists(paths.SupervisorPid));
        Assert.False(SupervisorLease.IsHeld(paths));
    }

    [Fact]
    public void The_boot_time_and_start_ticks_give_a_wall_clock_start()
    {
        var p = new ProcessInfo(1, 'S', 0, 250);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_000_000).AddSeconds(2.5), p.StartedAt(1_000_000));
        Assert.True(ProcessInfo.BootTime() > 0);
        Assert.Equal(Environment.ProcessId, ProcessInfo.Read(Environment.ProcessId)!.Pid);
    }
}
