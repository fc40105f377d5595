using System.Diagnostics;
using System.Text.RegularExpressions;
using PodShim.Interop;

namespace PodShim.IntegrationTests;

/// <summary>The keeper: CRI logs, exit records, and outliving its supervisor.</summary>
public sealed partial class KeeperTests : IDisposable
{
    private readonly PodHarness _h = new();

    public void Dispose() => _h.Dispose();

    [GeneratedRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z (stdout|stderr) [PF] ")]
    private static partial Regex CriPrefix();

    private static string Pod(string name, string script, long grace = 1) =>
        $"apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\nspec:\n  restartPolicy: Never\n  terminationGracePeriodSeconds: {grace}\n  containers:\n" +
        $"  - name: c\n    image: busybox\n    command: [\"sh\", \"-c\", \"{script.Replace("$", "$$")}\"]\n";

    [RootFact]
    public void Log_has_CRI_lines_for_stdout_and_stderr()
    {
        var r = _h.Run(Pod("cri", "echo out1; echo err1 >&2; echo; echo out2"));
        Assert.Equal(0, r.ExitCode);
        string[] records = _h.CriRecords("cri", "c");
        Assert.All(records, line => Assert.Matches(CriPrefix(), line));
        Assert.Equal(["out1", "", "out2"], _h.LogLines("cri", "c", "stdout"));
        Assert.Equal(["err1"], _h.LogLines("cri", "c", "stderr"));
    }

    [RootFact]
    public void A_20_KiB_line_without_newline_becomes_P_P_F()
    {
        var r = _h.Run(Pod("long", "head -c 20480 /dev/zero | tr '\\\\0' a"));
        Assert.Equal(0, r.ExitCode);
        var pieces = _h.CriRecords("long", "c").Select(l => l.Split(' ', 4)).ToArray();
        Assert.Equal(["P", "P", "F"], pieces.Select(p => p[2]).ToArray());
        Assert.Equal([16384, 4096, 0], pieces.Select(p => p.Length > 3 ? p[3].Length : 0).ToArray());
        Assert.Equal(new string('a', 20480), _h.LogLines("long", "c").Single());
    }

    [RootFact]
    public void Killing_the_supervisor_leaves_the_container_running_and_its_exit_recorded()
    {
        using Process supervisor = _h.Start(Pod("orphan", "echo started; sleep 2; echo finished; exit 3"));
        string attempt = _h.AttemptDir("orphan", "c");
        PodHarness.WaitFor(() => File.Exists(Path.Combine(attempt, "log")) && File.ReadAllText(Path.Combine(attempt, "log")).Contains("started"), "the container to start");
        int containerPid = PodHarness.ReadPid(Path.Combine(attempt, "container.pid"));
        int holderPid = PodHarness.ReadPid(Path.Combine(_h.PodDir("orphan"), "holder.pid"));

        supervisor.Kill();
        Assert.True(supervisor.WaitForExit(10_000));
        Assert.True(PodHarness.IsAlive(containerPid), "the container died with its supervisor");

        PodHarness.WaitForFile(Path.Combine(attempt, "exit.json"));
        var exit = _h.Exit("orphan", "c");
        Assert.Equal(3, exit.ExitCode);
        Assert.Equal(["started", "finished"], _h.LogLines("orphan", "c"));

        // What recovery will do: the orphaned holder and the pod's /dev/shm are the supervisor's to clean.
        Assert.True(Posix.Kill(holderPid, Posix.SIGKILL));
        PodHarness.WaitFor(() => !PodHarness.IsAlive(holderPid), "the holder to exit");
        foreach (string mount in _h.MountsUnderRoot().Reverse())
            Posix.Unmount(mount, detach: true);
    }

    [RootFact]
    public void Sigterm_to_run_terminates_gracefully()
    {
        using Process p = _h.Start(Pod("graceful", "trap 'echo got-term; exit 0' TERM; echo ready; while true; do sleep 0.05; done", grace: 10));
        PodHarness.WaitFor(() => File.Exists(Path.Combine(_h.AttemptDir("graceful", "c"), "log")) && _h.LogLines("graceful", "c").Contains("ready"), "the container to start");
        Posix.Kill(p.Id, Posix.SIGTERM);
        Assert.True(p.WaitForExit(30_000));
        Assert.Equal(0, p.ExitCode); // terminated, and every container exited 0: Succeeded
        Assert.Equal(0, _h.Exit("graceful", "c").ExitCode);
        Assert.Contains("got-term", _h.LogLines("graceful", "c"));
    }

    [RootFact]
    public void A_container_that_ignores_sigterm_is_killed_after_the_grace_period()
    {
        // sleep as PID 1 has no SIGTERM handler, so the kernel drops the signal: only SIGKILL ends it.
        using Process p = _h.Start(Pod("stubborn", "exec sleep 60", grace: 1));
        string pidFile = Path.Combine(_h.AttemptDir("stubborn", "c"), "container.pid");
        PodHarness.WaitForFile(pidFile);
        int pid = PodHarness.ReadPid(pidFile);
        PodHarness.WaitFor(() => File.ReadAllText($"/proc/{pid}/cmdline").StartsWith("sleep", StringComparison.Ordinal), "the container to exec");
        var sw = Stopwatch.StartNew();
        Posix.Kill(p.Id, Posix.SIGINT);
        Assert.True(p.WaitForExit(30_000));
        Assert.InRange(sw.ElapsedMilliseconds, 900, 10_000);
        var exit = _h.Exit("stubborn", "c");
        Assert.Equal(137, exit.ExitCode);
    }
}
