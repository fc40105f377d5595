using System.Diagnostics;
using System.Text;
using System.Text.Json;
using PodShim.Interop;

namespace PodShim.IntegrationTests;

/// <summary>
/// The kubectl-style verbs against real detached pods: apply / run -d, get, describe, logs (-f), exec, delete,
/// services. The containers wait on files the test creates (a hostPath control directory), so every step is
/// driven by what the test has seen, never by timing.
/// </summary>
public sealed class CliTests : IDisposable
{
    private readonly PodHarness _h = new();
    private readonly string _ctl;

    public CliTests()
    {
        _ctl = Path.Combine(_h.Root, "ctl");
        Directory.CreateDirectory(_ctl);
    }

    public void Dispose() => _h.Dispose();

    private string Manifest(string yaml) => _h.WriteManifest(yaml.Replace("CTL", _ctl));

    /// <summary>Two init containers that wait for go1/go2, then an app printing "line N" each time nextN appears.</summary>
    private const string Steps = """
        apiVersion: v1
        kind: Pod
        metadata:
          name: steps
          labels:
            app: steps
        spec:
          terminationGracePeriodSeconds: 5
          volumes:
          - name: ctl
            hostPath:
              path: CTL
          initContainers:
          - name: first
            image: busybox
            command: ['sh', '-c', 'until [ -e /ctl/go1 ]; do sleep 0.05; done; echo first done']
            volumeMounts: [{name: ctl, mountPath: /ctl}]
          - name: second
            image: busybox
            command: ['sh', '-c', 'until [ -e /ctl/go2 ]; do sleep 0.05; done']
            volumeMounts: [{name: ctl, mountPath: /ctl}]
          containers:
          - name: app
            image: busybox
            command: ['sh', '-c', 'trap "exit 0" TERM; i=0; while true; do if [ -e /ctl/next$i ]; then echo line $i; i=$((i+1)); fi; sleep 0.05; done']
            volumeMounts: [{name: ctl, mountPath: /ctl}]
        """;

    /// <summary>The STATUS column of `get pods NAME` (polled until it is <paramref name="status"/>).</summary>
    private string WaitForStatus(string pod, string status, int timeoutMs = 60_000)
    {
        string last = "";
        var sw = Stopwatch.StartNew();
        while (sw.ElapsedMilliseconds < timeoutMs)
        {
            var r = _h.Podshim("get", "pods", pod);
            Assert.Equal(0, r.ExitCode);
            string[] lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(2, lines.Length);
            Assert.Matches(@"^NAME +READY +STATUS +RESTARTS +AGE$", lines[0]);
            last = lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries)[2];
            if (last == status)
                return lines[1];
            Thread.Sleep(100);
        }
        Assert.Fail($"pod {pod} never showed {status} (last: {last})");
        return "";
    }

    [RootFact]
    public void Apply_get_logs_exec_describe_delete_a_detached_pod()
    {
        var apply = _h.Podshim("apply", "-f", Manifest(Steps));
        Assert.Equal((0, "pod/steps created\n", ""), (apply.ExitCode, apply.Stdout, apply.Stderr));
        // The pod runs in its own supervisor process, in its own session, logging to the pod directory.
        int supervisor = WaitForSupervisor("steps");
        Assert.Equal(supervisor, SessionOf(supervisor));
        PodHarness.WaitFor(() => File.ReadAllText(Path.Combine(_h.PodDir("steps"), "supervisor.log")).Contains($"supervisor {supervisor} for pod default/steps"),
            "the supervisor's first line in supervisor.log");

        WaitForStatus("steps", "Init:0/2");
        File.WriteAllText(Path.Combine(_ctl, "go1"), "");
        WaitForStatus("steps", "Init:1/2");
        File.WriteAllText(Path.Combine(_ctl, "go2"), "");
        string row = WaitForStatus("steps", "Running");
        Assert.Matches(@"^steps +1/1 +Running +0 +\d+s$", row);
        Assert.Equal("apply again: pod/steps unchanged", "apply again: " + _h.Podshim("apply", "-f", Manifest(Steps)).Stdout.Trim());

        // logs of an init container; logs -f follows the app across lines.
        Assert.Equal("first done\n", _h.Podshim("logs", "steps", "-c", "first").Stdout);
        using (Process follow = _h.StartPodshim("logs", "-f", "steps"))
        {
            var seen = new StringBuilder();
            follow.OutputDataReceived += (_, e) => { lock (seen) seen.AppendLine(e.Data); };
            follow.BeginOutputReadLine();
            for (int i = 0; i < 3; i++)
            {
                File.WriteAllText(Path.Combine(_ctl, $"next{i}"), "");
                PodHarness.WaitFor(() => { lock (seen) return seen.ToString().Contains($"line {i}\n"); }, $"logs -f to print line {i}");
            }
            Assert.False(follow.HasExited);
            Posix.Kill(follow.Id, Posix.SIGINT);
            Assert.True(follow.WaitForExit(30_000));
            lock (seen)
                Assert.Equal("line 0\nline 1\nline 2\n", seen.ToString().Replace("\r", "").TrimEnd('\n') + "\n");
        }
        Assert.Equal("line 1\nline 2\n", _h.Podshim("logs", "steps", "--tail", "2").Stdout);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z line 2\n$", _h.Podshim("logs", "steps", "--tail=1", "--timestamps").Stdout);

        // exec: output, stdin, exit codes passed through.
        var exec = _h.Podshim("exec", "steps", "--", "sh", "-c", "echo in $(hostname) as $(id -u)");
        Assert.Equal((0, "in steps as 0\n"), (exec.ExitCode, exec.Stdout));
        Assert.Contains("Defaulted container \"app\" out of: app, first (init), second (init)", exec.Stderr);
        var failing = _h.Podshim("exec", "steps", "-c", "app", "--", "sh", "-c", "echo out; echo err >&2; exit 7");
        Assert.Equal((7, "out\n", "err\ncommand terminated with exit code 7\n"), (failing.ExitCode, failing.Stdout, failing.Stderr));
        Assert.Equal(137, _h.Podshim("exec", "steps", "-c", "app", "--", "sh", "-c", "kill -9 $$").ExitCode);
        var missing = _h.Podshim("exec", "steps", "-c", "app", "--", "no-such-command");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("executable file not found in $PATH", missing.Stderr);
        Assert.DoesNotContain("   at ", missing.Stderr);
        using (Process cat = _h.StartPodshim("exec", "-i", "steps", "-c", "app", "--", "sh", "-c", "tr a-z A-Z"))
        {
            cat.StandardInput.Write("piped through\n");
            cat.StandardInput.Close();
            Assert.True(cat.WaitForExit(30_000));
            Assert.Equal((0, "PIPED THROUGH\n"), (cat.ExitCode, cat.StandardOutput.ReadToEnd()));
        }
        var initExec = _h.Podshim("exec", "steps", "-c", "first", "--", "true");
        Assert.Equal((1, "error: unable to upgrade connection: container not found (\"first\")\n"), (initExec.ExitCode, initExec.Stderr));

        // describe and -o json read the same files.
        string describe = _h.Podshim("describe", "pod", "steps").Stdout;
        Assert.Contains("Status:           Running\n", describe);
        // Column widths depend on the longest reason (a ResourceLimitsNotEnforced warning where cgroups are not usable).
        Assert.Matches(@"\n  Normal +Started +\d+s +kubelet +Started container app\n", describe);
        using (JsonDocument json = JsonDocument.Parse(_h.Podshim("get", "pod", "steps", "-o", "json").Stdout))
        {
            Assert.Equal("Pod", json.RootElement.GetProperty("kind").GetString());
            Assert.Equal("Running", json.RootElement.GetProperty("status").GetProperty("phase").GetString());
        }
        Assert.Equal("pod/steps\n", _h.Podshim("get", "pods", "-l", "app=steps", "-o", "name").Stdout);
        Assert.Equal("", _h.Podshim("get", "pods", "-l", "app=other", "-o", "name").Stdout);

        var delete = _h.Podshim("delete", "pod", "steps");
        Assert.Equal((0, "pod \"steps\" deleted\n"), (delete.ExitCode, delete.Stdout));
        Assert.False(Directory.Exists(_h.PodDir("steps")));
        Assert.False(PodHarness.IsAlive(supervisor));
        var gone = _h.Podshim("get", "pods", "steps");
        Assert.Equal((1, "Error from server (NotFound): pods \"steps\" not found\n"), (gone.ExitCode, gone.Stderr));
        Assert.Empty(_h.ProcessesOfRoot());
    }

    /// <summary>Only the verb a command line names is built (start-up time): global options may come before it, help
    /// still lists every verb, and a word that is no verb is still System.CommandLine's error.</summary>
    [RootFact]
    public void Global_options_before_the_verb_help_and_unknown_verbs()
    {
        static (int Code, string Out, string Err) Raw(params string[] args)
        {
            var psi = new ProcessStartInfo(PodHarness.PodshimPath) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string arg in args)
                psi.ArgumentList.Add(arg);
            using Process p = Process.Start(psi)!;
            Task<string> err = p.StandardError.ReadToEndAsync();
            string output = p.StandardOutput.ReadToEnd();
            Assert.True(p.WaitForExit(60_000), "podshim " + string.Join(' ', args) + " did not exit");
            return (p.ExitCode, output, err.Result);
        }

        var help = Raw("--help");
        Assert.Equal(0, help.Code);
        foreach (string verb in new[] { "run", "delete", "version", "image", "apply", "get", "describe", "logs", "exec", "recover" })
            Assert.Matches($"(?m)^  {verb} ", help.Out);

        Assert.Equal(0, Raw("--root", _h.Root, "--debug", "version").Code);
        var get = Raw("--root=" + _h.Root, "get", "pods");
        Assert.Equal((0, "No resources found in default namespace.\n"), (get.Code, get.Err));
        // "run" as --root's value is not the verb: the verb is get.
        var runNamedRoot = Raw("--root", Path.Combine(_h.Root, "run"), "get", "pods");
        Assert.Equal(0, runNamedRoot.Code);
        Assert.Contains("Usage:", Raw("run", "--help").Out);

        var unknown = Raw("--root", _h.Root, "frobnicate");
        Assert.NotEqual(0, unknown.Code);
        Assert.Contains("frobnicate", unknown.Err);
    }

    /// <summary>A detached supervisor opens no .NET diagnostics endpoints: a killed one would leave them in /tmp.</summary>
    [RootFact]
    public void Detached_supervisors_leave_no_diagnostics_endpoints_in_tmp()
    {
        string yaml = """
            apiVersion: v1
            kind: Pod
            metadata:
              name: quiet
            spec:
              terminationGracePeriodSeconds: 1
              containers:
              - name: app
                image: busybox
                command: ['sleep', '3600']
            """;
        Assert.Equal(0, _h.Podshim("run", "-d", "-f", _h.WriteManifest(yaml)).ExitCode);
        PodHarness.WaitFor(() => _h.Podshim("get", "pods", "quiet").Stdout.Contains(" Running "), "pod quiet running");
        int pid = _h.SupervisorPid("quiet") ?? throw new Xunit.Sdk.XunitException("no supervisor for pod quiet");
        Assert.Contains("DOTNET_EnableDiagnostics=0", File.ReadAllText($"/proc/{pid}/environ").Split('\0'));
        string[] endpoints = Directory.GetFiles(Path.GetTempPath(), $"dotnet-diagnostic-{pid}-*")
            .Concat(Directory.GetFiles(Path.GetTempPath(), $"clr-debug-pipe-{pid}-*")).ToArray();
        Assert.Empty(endpoints);
        Assert.Equal(0, _h.Podshim("delete", "pod", "quiet", "--now").ExitCode);
    }

    [RootFact]
    public void Logs_errors_are_kubectls()
    {
        string yaml = """
            apiVersion: v1
            kind: Pod
            metadata:
              name: two
            spec:
              restartPolicy: Never
              initContainers:
              - name: setup
                image: busybox
                command: ['true']
              containers:
              - name: a
                image: busybox
                command: ['sh', '-c', 'echo from a']
              - name: b
                image: busybox
                command: ['sh', '-c', 'echo from b; exit 2']
            """;
        Assert.Equal(0, _h.Podshim("run", "-d", "-f", _h.WriteManifest(yaml)).ExitCode);
        string status = Path.Combine(_h.PodDir("two"), "status.json");
        PodHarness.WaitFor(() => _h.SupervisorPid("two") is null && File.ReadAllText(status).Contains("\"phase\":\"Failed\""), "the pod to fail");
        var noName = _h.Podshim("logs", "two");
        Assert.Equal((1, "error: a container name must be specified for pod two, choose one of: [a b] or one of the init containers: [setup]\n"), (noName.ExitCode, noName.Stderr));
        var previous = _h.Podshim("logs", "two", "-c", "b", "--previous");
        Assert.Equal((1, "Error from server (BadRequest): previous terminated container \"b\" in pod \"two\" not found\n"), (previous.ExitCode, previous.Stderr));
        var invalid = _h.Podshim("logs", "two", "-c", "nope");
        Assert.Equal((1, "error: container nope is not valid for pod two\n"), (invalid.ExitCode, invalid.Stderr));
        Assert.Equal("from b\n", _h.Podshim("logs", "two", "-c", "b").Stdout);
        var noPod = _h.Podshim("logs", "nope");
        Assert.Equal((1, "Error from server (NotFound): pods \"nope\" not found\n"), (noPod.ExitCode, noPod.Stderr));
        var done = _h.Podshim("exec", "two", "-c", "a", "--", "true");
        Assert.Equal((1, "error: cannot exec into a container in a completed pod; current phase is Failed\n"), (done.ExitCode, done.Stderr));
        var again = _h.Podshim("run", "-d", "-f", _h.WriteManifest(yaml));
        Assert.Equal((1, "Error from server (AlreadyExists): pods \"two\" already exists\n"), (again.ExitCode, again.Stderr));
        Assert.Equal("pod \"two\" deleted\n", _h.Podshim("delete", "pod", "two", "--now").Stdout);
    }

    [RootFact]
    public void Get_watch_prints_a_row_per_change_until_interrupted()
    {
        using Process watch = _h.StartPodshim("get", "pods", "-w");
        var lines = new List<string>();
        watch.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (lines) lines.Add(e.Data); };
        watch.BeginOutputReadLine();
        Assert.Equal(0, _h.Podshim("apply", "-f", Manifest(Steps)).ExitCode);
        bool Saw(string status) { lock (lines) return lines.Any(l => l.StartsWith("steps ", StringComparison.Ordinal) && l.Contains($" {status} ")); }
        PodHarness.WaitFor(() => Saw("Init:0/2"), "a watch row with Init:0/2");
        File.WriteAllText(Path.Combine(_ctl, "go1"), "");
        PodHarness.WaitFor(() => Saw("Init:1/2"), "a watch row with Init:1/2");
        File.WriteAllText(Path.Combine(_ctl, "go2"), "");
        PodHarness.WaitFor(() => Saw("Running"), "a watch row with Running");
        Posix.Kill(watch.Id, Posix.SIGINT);
        Assert.True(watch.WaitForExit(30_000));
        lock (lines)
        {
            Assert.Matches("^NAME +READY +STATUS +RESTARTS +AGE$", lines[0]);
            Assert.Equal(1, lines.Count(l => l.StartsWith("NAME", StringComparison.Ordinal)));
            // One row per change: no two consecutive rows are the same but for AGE.
            var rows = lines.Skip(1).Select(l => string.Join(' ', l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[..4])).ToList();
            Assert.All(rows.Zip(rows.Skip(1)), pair => Assert.NotEqual(pair.First, pair.Second));
        }
        Assert.Equal(0, _h.Podshim("delete", "pod", "steps", "--grace-period", "1").ExitCode);
    }

    [RootFact]
    public void Services_are_applied_listed_and_deleted()
    {
        string services = Path.Combine(PodHarness.RepoRoot, "examples", "seeds", "000-services.yaml");
        var apply = _h.Podshim("apply", "-f", services);
        Assert.Equal((0, "service/myservice created\nservice/mydb created\n"), (apply.ExitCode, apply.Stdout));
        Assert.Equal("service/myservice unchanged\nservice/mydb unchanged\n", _h.Podshim("apply", "-f", services).Stdout);
        string[] table = _h.Podshim("get", "services").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches("^NAME +TYPE +CLUSTER-IP +EXTERNAL-IP +PORT\\(S\\) +AGE$", table[0]);
        Assert.Matches(@"^mydb +ClusterIP +10\.\d+\.\d+\.\d+ +<none> +80/TCP +\d+s$", table[1]);
        Assert.Matches(@"^myservice +ClusterIP +10\.\d+\.\d+\.\d+ +<none> +80/TCP +\d+s$", table[2]);
        Assert.Equal(3, table.Length);
        Assert.Equal("service \"mydb\" deleted\n", _h.Podshim("delete", "service", "mydb").Stdout);
        var gone = _h.Podshim("get", "svc", "mydb");
        Assert.Equal((1, "Error from server (NotFound): services \"mydb\" not found\n"), (gone.ExitCode, gone.Stderr));
        Assert.Equal("service \"myservice\" deleted\n", _h.Podshim("delete", "-f", services).Stdout.Split('\n')[0] + "\n");
    }

    private int WaitForSupervisor(string pod)
    {
        int? pid = null;
        PodHarness.WaitFor(() => (pid = _h.SupervisorPid(pod)) is not null && File.Exists(Path.Combine(_h.PodDir(pod), "supervisor.log")), "the pod's supervisor");
        PodHarness.WaitFor(() => SessionOf(pid!.Value) == pid, "the supervisor to be in its own session");
        return pid!.Value;
    }

    private static int SessionOf(int pid)
    {
        string stat = File.ReadAllText($"/proc/{pid}/stat");
        return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[3], System.Globalization.CultureInfo.InvariantCulture);
    }
}
