using System.Diagnostics;
using PodShim.Interop;
using PodShim.Runtime.Images;

namespace PodShim.IntegrationTests;

/// <summary>The walking skeleton end to end: real holders, keepers and containers from the bundled busybox image.</summary>
public sealed class PodRunTests : IDisposable
{
    private readonly PodHarness _h = new();

    public void Dispose() => _h.Dispose();

    private static string Pod(string name, params (string Name, string Script)[] containers) => Pod(name, "", containers);

    private static string Pod(string name, string specExtra, params (string Name, string Script)[] containers)
    {
        var yaml = $"apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\nspec:\n  restartPolicy: Never\n  terminationGracePeriodSeconds: 1\n{specExtra}  containers:\n";
        foreach (var (n, script) in containers)
            yaml += $"  - name: {n}\n    image: busybox\n    command: [\"sh\", \"-c\", {Quote(script)}]\n";
        return yaml;
    }

    // YAML double-quoted scalar; $$ because Kubernetes expands $(VAR) and turns $$ into $.
    private static string Quote(string s) => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("$", "$$") + "\"";

    [RootFact]
    public void Container_is_pid_1_and_hostname_is_the_pod_name()
    {
        var r = _h.Run(Pod("pid-host", ("c", "echo $$; hostname; cat /etc/hostname")));
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(["1", "pid-host", "pid-host"], _h.LogLines("pid-host", "c"));
    }

    [RootFact]
    public void Containers_share_net_and_ipc_but_not_mount_namespaces()
    {
        // Both stay alive until both have looked: a freed namespace's inode number can be reused.
        const string script = "readlink /proc/self/ns/net; readlink /proc/self/ns/ipc; readlink /proc/self/ns/mnt; readlink /proc/self/ns/uts; sleep 1";
        var r = _h.Run(Pod("ns-share", ("a", script), ("b", script)));
        Assert.Equal(0, r.ExitCode);
        string[] a = _h.LogLines("ns-share", "a"), b = _h.LogLines("ns-share", "b");
        Assert.Equal(4, a.Length);
        Assert.Equal(a[0], b[0]);
        Assert.Equal(a[1], b[1]);
        Assert.Equal(a[3], b[3]);
        Assert.NotEqual(a[2], b[2]);
        // ... and none of them is the host's.
        string hostNet = new FileInfo("/proc/self/ns/net").LinkTarget!;
        Assert.NotEqual(hostNet, a[0]);
    }

    [RootFact]
    public void Dev_shm_is_shared_between_the_pods_containers()
    {
        var r = _h.Run(Pod("shm",
            ("writer", "echo from-writer > /dev/shm/marker; sleep 3"),
            ("reader", "for i in $(seq 100); do if [ -f /dev/shm/marker ]; then cat /dev/shm/marker; exit 0; fi; sleep 0.05; done; exit 1")));
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(["from-writer"], _h.LogLines("shm", "reader"));
    }

    [RootFact]
    public void Only_stdio_fds_are_open_even_when_the_caller_leaks_one()
    {
        // bash opens fd 7 without close-on-exec and execs podshim with it.
        var r = _h.Run(Pod("fds", ("c", "ls /proc/1/fd; true")), shellPrefix: "exec 7</etc/hostname");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(["0", "1", "2"], _h.LogLines("fds", "c"));
    }

    [RootTheory]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(9)]
    [InlineData(10)]
    [InlineData(15)]
    [InlineData(20)]
    public void Working_directory_through_an_fd_is_refused(int fd)
    {
        // The caller leaks fd 7 (a host directory); whatever fd N is in the keeper or the
        // container child, /proc/self/fd/N must never become the container's cwd (runc CVE-2024-21626).
        string yaml = $"apiVersion: v1\nkind: Pod\nmetadata:\n  name: cwd-leak\nspec:\n  restartPolicy: Never\n  terminationGracePeriodSeconds: 1\n  containers:\n" +
                      $"  - name: c\n    image: busybox\n    workingDir: /proc/self/fd/{fd}\n    command: [\"true\"]\n";
        var r = _h.Run(yaml, shellPrefix: "exec 7</etc");
        Assert.Equal(1, r.ExitCode);
        Assert.Matches(@"(?m)^Warning  Failed  container ""c"": (chdir\(/proc/self/fd/\d+\): (ENOENT|ENOTDIR)|working directory .* is outside the container's root filesystem)$", r.Stderr);
    }

    [RootFact]
    public void Default_capabilities_and_empty_inheritable_and_ambient_sets()
    {
        var r = _h.Run(Pod("caps", ("c", "grep -E '^Cap(Inh|Prm|Eff|Bnd|Amb)' /proc/self/status")));
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(["CapInh:\t0000000000000000", "CapPrm:\t00000000a80425fb", "CapEff:\t00000000a80425fb",
            "CapBnd:\t00000000a80425fb", "CapAmb:\t0000000000000000"], _h.LogLines("caps", "c"));
    }

    [RootFact]
    public void Non_root_user_has_no_effective_capabilities_and_no_new_privileges_is_set()
    {
        string yaml = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: nonroot\nspec:\n  restartPolicy: Never\n  terminationGracePeriodSeconds: 1\n  containers:\n" +
                      "  - name: c\n    image: busybox\n    command: [\"sh\", \"-c\", \"id -u; grep -E '^(CapEff|NoNewPrivs)' /proc/self/status\"]\n" +
                      "    securityContext:\n      runAsUser: 1000\n      allowPrivilegeEscalation: false\n";
        var r = _h.Run(yaml);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(["1000", "NoNewPrivs:\t1", "CapEff:\t0000000000000000"], _h.LogLines("nonroot", "c").OrderBy(l => l[0] == 'N' ? 1 : l[0] == 'C' ? 2 : 0).ToArray());
    }

    [RootFact]
    public void Masked_paths_read_empty_and_proc_sys_is_read_only()
    {
        // Which masked files exist depends on the kernel; check every one that exists on this host.
        string[] masked = ["/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug", "/proc/latency_stats", "/proc/timer_stats"];
        string[] present = masked.Where(File.Exists).ToArray();
        Assert.NotEmpty(present);
        string writeTarget = File.Exists("/proc/sys/kernel/sysrq") ? "/proc/sys/kernel/sysrq" : "/proc/sys/vm/drop_caches";
        string script = string.Join("; ", present.Select(p => $"echo {p}=$(wc -c < {p})")) + $"; echo 1 > {writeTarget} && echo written || echo refused";
        var r = _h.Run(Pod("masked", ("c", script)));
        Assert.Equal(0, r.ExitCode);
        string[] lines = _h.LogLines("masked", "c");
        foreach (string p in present)
            Assert.Contains($"{p}=0", lines);
        Assert.Equal("refused", lines[^1]);
        Assert.Contains("Read-only file system", string.Join("\n", _h.LogLines("masked", "c", "stderr")));
    }

    [RootFact]
    public void Default_container_cannot_mount()
    {
        var r = _h.Run(Pod("nomount", ("c", "mkdir -p /mnt/x; mount -t tmpfs tmpfs /mnt/x && echo mounted || echo denied")));
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(["denied"], _h.LogLines("nomount", "c"));
    }

    [RootFact]
    public void A_mount_made_inside_a_container_is_not_in_the_hosts_mount_table()
    {
        string marker = "podshim-marker-" + Guid.NewGuid().ToString("N")[..8];
        string yaml = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: mnt-leak\nspec:\n  restartPolicy: Never\n  terminationGracePeriodSeconds: 1\n  containers:\n" +
                      $"  - name: c\n    image: busybox\n    command: [\"sh\", \"-c\", \"mkdir -p /mnt/{marker} && mount -t tmpfs tmpfs /mnt/{marker} && grep -c {marker} /proc/self/mountinfo && sleep 2\"]\n" +
                      "    securityContext:\n      privileged: true\n";
        using Process p = _h.Start(yaml);
        PodHarness.WaitFor(() => File.Exists(Path.Combine(_h.AttemptDir("mnt-leak", "c"), "log")) && _h.LogLines("mnt-leak", "c").Length > 0, "the container's mount");
        Assert.Equal(["1"], _h.LogLines("mnt-leak", "c"));
        Assert.DoesNotContain(marker, File.ReadAllText("/proc/self/mountinfo"));
        Assert.DoesNotContain(marker, File.ReadAllText("/proc/1/mountinfo"));
        Assert.True(p.WaitForExit(30_000));
        Assert.Equal(0, p.ExitCode);
    }

    [RootFact]
    public void An_image_whose_proc_is_a_symlink_is_refused()
    {
        string src = Path.Combine(_h.Root, "evil-src");
        Directory.CreateDirectory(Path.Combine(src, "bin"));
        File.Copy("/bin/busybox", Path.Combine(src, "bin", "sh"));
        File.SetUnixFileMode(Path.Combine(src, "bin", "sh"), (UnixFileMode)0b111_101_101);
        Directory.CreateDirectory(Path.Combine(src, "sys"));
        Directory.CreateDirectory(Path.Combine(src, "dev"));
        File.CreateSymbolicLink(Path.Combine(src, "proc"), "/");
        OciImageWriter.WriteFromDirectory(Path.Combine(_h.Root, "images"), "evil:1", src, ImageConfig.Empty with { Cmd = ["/bin/sh", "-c", "echo ran"] });

        string yaml = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: evil\nspec:\n  restartPolicy: Never\n  terminationGracePeriodSeconds: 1\n  containers:\n  - name: c\n    image: evil:1\n";
        var r = _h.Run(yaml);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("/proc, /sys and /dev of the image must be directories", r.Stderr);
        Assert.Single(r.Stderr.Trim().Split('\n')); // one line says why
        Assert.Empty(_h.LogLines("evil", "c"));
        Assert.False(_h.Exit("evil", "c").Started);
    }

    [RootTheory]
    [InlineData("exit 0", 0)]
    [InlineData("exit 1", 1)]
    [InlineData("exit 42", 42)]
    public void Exit_codes_are_recorded(string script, int expected)
    {
        var r = _h.Run(Pod("exits", ("c", script)));
        Assert.Equal(expected == 0 ? 0 : 1, r.ExitCode);
        var exit = _h.Exit("exits", "c");
        Assert.True(exit.Started);
        Assert.Equal(expected, exit.ExitCode);
        Assert.Equal(0, exit.Signal);
        Assert.NotNull(exit.StartedAt);
        Assert.True(exit.FinishedAt >= exit.StartedAt);
    }

    [RootTheory]
    [InlineData("/etc/passwd", 126, "exec: \"/etc/passwd\": permission denied")]
    [InlineData("/nonexistent", 127, "exec: \"/nonexistent\": stat /nonexistent: no such file or directory")]
    [InlineData("no-such-command", 127, "exec: \"no-such-command\": executable file not found in $PATH")]
    public void A_command_that_cannot_run_gives_126_or_127_and_one_line(string command, int expected, string message)
    {
        string yaml = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: badcmd\nspec:\n  restartPolicy: Never\n  terminationGracePeriodSeconds: 1\n  containers:\n" +
                      $"  - name: c\n    image: busybox\n    command: [\"{command}\"]\n";
        var r = _h.Run(yaml);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal($"Warning  Failed  container \"c\": {message}", r.Stderr.Trim());
        Assert.Equal(expected, _h.Exit("badcmd", "c").ExitCode);
    }

    [RootFact]
    public void Sigkill_gives_137()
    {
        using Process p = _h.Start(Pod("killed", ("c", "sleep 30")));
        string pidFile = Path.Combine(_h.AttemptDir("killed", "c"), "container.pid");
        PodHarness.WaitForFile(pidFile);
        int pid = PodHarness.ReadPid(pidFile);
        PodHarness.WaitFor(() => File.ReadAllText($"/proc/{pid}/cmdline").StartsWith("sleep", StringComparison.Ordinal), "the container to exec");
        Assert.True(Posix.Kill(pid, Posix.SIGKILL));
        Assert.True(p.WaitForExit(30_000));
        Assert.Equal(1, p.ExitCode);
        var exit = _h.Exit("killed", "c");
        Assert.Equal(137, exit.ExitCode);
        Assert.Equal(9, exit.Signal);
    }

    [RootFact]
    public void A_missing_image_waits_with_ErrImagePull_and_says_how_to_import_it()
    {
        // As on a node: the container waits for its image (ErrImagePull, ImagePullBackOff) instead of
        // the pod failing; the warning names the image and the way to import it. --rm cleans up.
        string yaml = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: noimage\nspec:\n  restartPolicy: Never\n  containers:\n  - name: c\n    image: no-such-image:9\n    command: [\"true\"]\n";
        var r = _h.Run(yaml, extraArgs: ["--timeout", "3s", "--rm"]);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("noimage   0/1     ErrImagePull", r.Stdout);
        Assert.Contains("Warning  Failed  container \"c\": Failed to pull image \"no-such-image:9\": image \"docker.io/library/no-such-image:9\" is not in the image store", r.Stderr);
        Assert.Contains("podshim image import", r.Stderr);
        Assert.False(Directory.Exists(_h.PodDir("noimage")));
    }

    [RootFact]
    public void Logs_stream_to_the_terminal_prefixed_with_the_container_name()
    {
        var r = _h.Run(Pod("stream", ("web", "echo hello; echo oops >&2")));
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("[web] hello", r.Stdout.Split('\n'));
        Assert.Contains("[web] oops", r.Stderr.Split('\n'));
    }
}
