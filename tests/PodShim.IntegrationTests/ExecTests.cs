using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using PodShim.Interop;
using PodShim.Runtime.Containers;

namespace PodShim.IntegrationTests;

/// <summary>ps_exec (through podshim-keeper --enter) and ps_socket_in_netns against a running pod.</summary>
public sealed class ExecTests : IDisposable
{
    private readonly PodHarness _h = new();
    private readonly Process? _pod;
    private readonly SafeFdHandle _container = new();
    private readonly SafeFdHandle _holder = new();
    private readonly int _port = 20000 + Random.Shared.Next(20000);

    public ExecTests()
    {
        if (!Posix.IsRoot)
            return; // the facts below skip themselves with their reason
        try
        {
            _pod = _h.Start(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: exec-target\nspec:\n  terminationGracePeriodSeconds: 1\n  containers:\n" +
            "  - name: c\n    image: busybox\n    command: [\"sh\", \"-c\", \"readlink /proc/self/ns/mnt; trap 'exit 0' TERM; " +
            $"while true; do echo pong | nc -l -p {_port}; done & while true; do sleep 0.05; done\"]\n");
        string attempt = _h.AttemptDir("exec-target", "c");
        PodHarness.WaitFor(() => File.Exists(Path.Combine(attempt, "log")) && _h.LogLines("exec-target", "c").Length > 0, "the container to start");
        _container = Posix.PidfdOpen(PodHarness.ReadPid(Path.Combine(attempt, "container.pid")));
        _holder = Posix.PidfdOpen(PodHarness.ReadPid(Path.Combine(_h.PodDir("exec-target"), "holder.pid")));
        }
        catch
        {
            Dispose(); // xunit does not dispose a fixture whose constructor threw
            throw;
        }
    }

    public void Dispose()
    {
        if (_pod is not null)
        {
            Posix.Kill(_pod.Id, Posix.SIGTERM);
            if (!_pod.WaitForExit(30_000))
                _pod.Kill();
            _pod.Dispose();
            _container.Dispose();
            _holder.Dispose();
        }
        _h.Dispose();
    }

    private ExecRequest Request(params string[] argv) => new()
    {
        TargetPidfd = _container,
        Argv = argv,
        Env = ["PATH=/bin:/usr/bin", "HOME=/root"],
        Identity = new ProcessIdentity { CapabilityBoundingSet = ContainerSecurity.DefaultMask },
    };

    [RootFact]
    public void Exec_runs_in_the_containers_namespaces_with_output_captured()
    {
        var r = ExecRunner.Run(Request("sh", "-c", "echo $$; hostname; readlink /proc/self/ns/mnt; grep CapEff /proc/self/status; echo err >&2; exit 7"), TimeSpan.FromSeconds(10));
        Assert.False(r.TimedOut);
        Assert.Equal(7, r.ExitCode);
        string[] lines = Encoding.UTF8.GetString(r.Output).TrimEnd('\n').Split('\n');
        Assert.NotEqual("1", lines[0]);
        Assert.InRange(int.Parse(lines[0]), 2, 1000); // a small pid: the container's pid namespace
        Assert.Equal("exec-target", lines[1]);
        Assert.Equal(_h.LogLines("exec-target", "c")[0], lines[2]); // the container's mount namespace
        Assert.Equal("CapEff:\t00000000a80425fb", lines[3]);
        Assert.Equal("err", lines[4]);
    }

    [RootTwoCpuFact]
    public void Exec_from_a_thread_pinned_to_one_cpu_runs_on_every_cpu_its_cgroup_allows()
    {
        // The probe threads are pinned; their exec probes must not be. The container's own process,
        // started from an unpinned thread, shows what its cgroup allows.
        int[] cpus = CpuAffinity.OfCurrentThread();
        string container = PodHarness.ReadPid(Path.Combine(_h.AttemptDir("exec-target", "c"), "container.pid")).ToString(System.Globalization.CultureInfo.InvariantCulture);
        string expected = File.ReadLines($"/proc/{container}/status").Single(l => l.StartsWith("Cpus_allowed_list:", StringComparison.Ordinal));
        Assert.NotEqual($"Cpus_allowed_list:\t{cpus[0]}", expected);
        ExecOutcome? r = null;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                CpuAffinity.PinCurrentThread(cpus[0]);
                r = ExecRunner.Run(Request("grep", "Cpus_allowed_list:", "/proc/self/status"), TimeSpan.FromSeconds(10));
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        thread.Start();
        thread.Join();
        Assert.Null(failure);
        Assert.NotNull(r);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(expected, Encoding.UTF8.GetString(r.Output).TrimEnd('\n'));
    }

    [RootFact]
    public void Exec_timeout_kills_the_command()
    {
        var sw = Stopwatch.StartNew();
        var r = ExecRunner.Run(Request("sleep", "30"), TimeSpan.FromMilliseconds(300));
        Assert.True(r.TimedOut);
        Assert.Equal(9, r.Signal);
        Assert.Equal(137, r.ExitCode);
        Assert.InRange(sw.ElapsedMilliseconds, 250, 5_000);
    }

    [RootFact]
    public void Exec_output_is_capped_but_the_command_still_finishes()
    {
        var r = ExecRunner.Run(Request("sh", "-c", "head -c 20000 /dev/zero; exit 3"), TimeSpan.FromSeconds(10), maxOutputBytes: 10 * 1024);
        Assert.Equal(3, r.ExitCode);
        Assert.Equal(10 * 1024, r.Output.Length);
        Assert.True(r.OutputTruncated);
    }

    [RootFact]
    public void Exec_of_a_missing_command_names_it()
    {
        var e = Assert.Throws<SpawnException>(() => ExecRunner.Run(Request("no-such-tool"), TimeSpan.FromSeconds(10)));
        Assert.Equal("exec: \"no-such-tool\": executable file not found in $PATH", e.Message);
        Assert.Equal(127, e.ConventionalExitCode);
    }

    [RootFact]
    public void Socket_in_the_pods_network_namespace_reaches_its_loopback()
    {
        string? reply = null;
        PodHarness.WaitFor(() =>
        {
            using Socket s = NetnsSocket.Create(_holder, AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                s.Connect(IPAddress.Loopback, _port);
                var buffer = new byte[16];
                int n = s.Receive(buffer);
                reply = Encoding.ASCII.GetString(buffer, 0, n);
                return true;
            }
            catch (SocketException)
            {
                return false; // nc is between two connections
            }
        }, "a connection to the pod's 127.0.0.1");
        Assert.Equal("pong\n", reply);

        // The same address from the host's namespace is not the pod's.
        using var host = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        Assert.Throws<SocketException>(() => host.Connect(IPAddress.Loopback, _port));
    }
}
