using PodShim.Runtime.State;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using PodShim.Interop;
using PodShim.Runtime.Containers;

namespace PodShim.IntegrationTests;

/// <summary>
/// Runs bin/podshim against its own temporary --root and cleans up after it. Dispose fails the test
/// when anything was left behind: a mount under the root or a live holder, keeper or container.
/// </summary>
public sealed class PodHarness : IDisposable
{
    public PodHarness()
    {
        Root = Path.Combine(Path.GetTempPath(), "podshim-it-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    public static string RepoRoot { get; } = FindRepoRoot();
    public static string PodshimPath => Path.Combine(RepoRoot, "bin", "podshim");

    public string PodDir(string pod, string ns = "default") => Path.Combine(Root, "pods", $"{ns}_{pod}");
    public string AttemptDir(string pod, string container, int attempt = 0) => Path.Combine(PodDir(pod), "containers", container, attempt.ToString(CultureInfo.InvariantCulture));

    public string WriteManifest(string yaml)
    {
        string path = Path.Combine(Root, $"pod-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    /// <summary>Starts `podshim run -f` for a manifest; optionally through bash to set up inherited fds.</summary>
    public Process Start(string yaml, string? shellPrefix = null, IReadOnlyList<string>? extraArgs = null)
    {
        string manifest = WriteManifest(yaml);
        var psi = shellPrefix is null
            ? new ProcessStartInfo(PodshimPath) { ArgumentList = { "run", "-f", manifest, "--root", Root } }
            : new ProcessStartInfo("/bin/bash") { ArgumentList = { "-c", $"{shellPrefix}; exec \"$0\" run -f \"$1\" --root \"$2\" \"${{@:3}}\"", PodshimPath, manifest, Root } };
        foreach (string arg in extraArgs ?? [])
            psi.ArgumentList.Add(arg);
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.RedirectStandardInput = true;
        Process process = Process.Start(psi)!;
        lock (_started)
            _started.Add(process.Id);
        return process;
    }

    // podshim processes this harness started itself (a test may kill one to see what survives it).
    private readonly HashSet<int> _started = new();

    /// <summary>
    /// A finished command. <see cref="Stderr"/> leaves out the one warning that this host (cgroup v1/hybrid)
    /// adds to every run, that resource limits are not enforced; <see cref="RawStderr"/> has it (CgroupTests).
    /// </summary>
    public sealed record RunResult(int ExitCode, string Stdout, string Stderr)
    {
        public string RawStderr { get; init; } = Stderr;
    }

    public const string CgroupWarningPrefix = "Warning  ResourceLimitsNotEnforced  ";

    private static string WithoutCgroupWarning(string stderr) =>
        string.Concat(stderr.Split('\n').Where(l => !l.StartsWith(CgroupWarningPrefix, StringComparison.Ordinal)).Select((l, i) => i == 0 ? l : "\n" + l));

    /// <summary>Runs a pod to its end (bounded by timeout; then the test fails).</summary>
    public RunResult Run(string yaml, int timeoutMs = 60_000, string? shellPrefix = null, IReadOnlyList<string>? extraArgs = null)
    {
        using Process p = Start(yaml, shellPrefix, extraArgs);
        return Finish(p, timeoutMs);
    }

    /// <summary>Runs any podshim command against this root.</summary>
    public RunResult Podshim(params string[] args)
    {
        using Process p = StartPodshim(args);
        RunResult result = Finish(p, 120_000);
        Remember();
        return result;
    }

    /// <summary>Starts a podshim command against this root (for commands that run until stopped: logs -f, get -w).</summary>
    public Process StartPodshim(params string[] args)
    {
        Remember();
        var psi = new ProcessStartInfo(PodshimPath) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        // --root goes before a "--" (what follows it is a command for exec, not podshim's).
        int end = Array.IndexOf(args, "--");
        foreach (string arg in end < 0 ? args : args[..end])
            psi.ArgumentList.Add(arg);
        psi.ArgumentList.Add("--root");
        psi.ArgumentList.Add(Root);
        if (end >= 0)
            foreach (string arg in args[end..])
                psi.ArgumentList.Add(arg);
        Process process = Process.Start(psi)!;
        lock (_started)
            _started.Add(process.Id);
        return process;
    }

    // Every process the runtime recorded under this root (supervisors included), with its start time: a pod that
    // is deleted takes its pid files with it, and what it left running must still be found at the end.
    private readonly HashSet<(int Pid, ulong Start)> _seen = new();

    /// <summary>Notes the processes recorded under the root now, and the detached supervisors working on it.</summary>
    public void Remember()
    {
        var pids = new List<int>(RecordedPids());
        if (Directory.Exists(Path.Combine(Root, "pods")))
            foreach (string file in StateFiles("supervisor.pid"))
            {
                try
                {
                    pids.Add(int.Parse(File.ReadAllText(file).Split(' ')[0].Trim(), CultureInfo.InvariantCulture));
                }
                catch (Exception e) when (e is IOException or FormatException)
                {
                }
            }
        pids.AddRange(ProcessesOfRoot());
        foreach (int pid in pids)
            if (StartTicks(pid) is ulong start)
                lock (_seen)
                    _seen.Add((pid, start));
    }

    /// <summary>Live podshim processes (supervisors, commands) and keepers whose command line names this root.</summary>
    public IReadOnlyList<int> ProcessesOfRoot()
    {
        var found = new List<int>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid) || pid == Environment.ProcessId)
                continue;
            string[] argv;
            try
            {
                argv = File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0');
            }
            catch (IOException)
            {
                continue;
            }
            bool ours = argv.Zip(argv.Skip(1)).Any(pair => (pair.First == "--root" && pair.Second == Root)
                || (pair.First == "--log" && pair.Second.StartsWith(Root + "/", StringComparison.Ordinal)));
            if (ours && IsAlive(pid))
                found.Add(pid);
        }
        return found;
    }

    /// <summary>The detached supervisor of a pod, from supervisor.pid (null when there is none running).</summary>
    public int? SupervisorPid(string pod, string ns = "default")
    {
        try
        {
            int pid = int.Parse(File.ReadAllText(Path.Combine(PodDir(pod, ns), "supervisor.pid")).Split(' ')[0].Trim(), CultureInfo.InvariantCulture);
            return IsAlive(pid) ? pid : null;
        }
        catch (Exception e) when (e is IOException or FormatException)
        {
            return null;
        }
    }

    private static ulong? StartTicks(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            return ulong.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[19], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    private static RunResult Finish(Process p, int timeoutMs)
    {
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeoutMs))
        {
            p.Kill(entireProcessTree: false);
            p.WaitForExit();
            Assert.Fail($"podshim run did not finish in {timeoutMs} ms; stderr: {stderr.Result}");
        }
        p.WaitForExit();
        return new RunResult(p.ExitCode, stdout.Result, WithoutCgroupWarning(stderr.Result)) { RawStderr = stderr.Result };
    }

    /// <summary>The text of the container's log records of one stream (F lines joined with P pieces).</summary>
    public string[] LogLines(string pod, string container, string stream = "stdout")
    {
        var lines = new List<string>();
        var partial = new StringBuilder();
        foreach (string line in CriRecords(pod, container))
        {
            string[] f = line.Split(' ', 4);
            if (f[1] != stream)
                continue;
            partial.Append(f.Length > 3 ? f[3] : "");
            if (f[2] == "F")
            {
                lines.Add(partial.ToString());
                partial.Clear();
            }
        }
        return lines.ToArray();
    }

    public string[] CriRecords(string pod, string container) =>
        File.ReadAllText(Path.Combine(AttemptDir(pod, container), "log")).Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public ExitRecord Exit(string pod, string container) => ExitOf(pod, container, 0);

    public ExitRecord ExitOf(string pod, string container, int attempt) =>
        ExitRecord.Parse(File.ReadAllText(Path.Combine(AttemptDir(pod, container, attempt), "exit.json")));

    /// <summary>Polls until a file exists (e.g. container.pid, exit.json).</summary>
    public static void WaitForFile(string path, int timeoutMs = 30_000)
    {
        var sw = Stopwatch.StartNew();
        while (!File.Exists(path))
        {
            if (sw.ElapsedMilliseconds > timeoutMs)
                Assert.Fail($"{path} did not appear within {timeoutMs} ms");
            Thread.Sleep(20);
        }
    }

    public static void WaitFor(Func<bool> condition, string what, int timeoutMs = 30_000)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            if (sw.ElapsedMilliseconds > timeoutMs)
                Assert.Fail($"timed out after {timeoutMs} ms waiting for {what}");
            Thread.Sleep(20);
        }
    }

    public static int ReadPid(string path) => int.Parse(File.ReadAllText(path).Trim(), CultureInfo.InvariantCulture);

    public static bool IsAlive(int pid)
    {
        try
        {
            // A zombie has no memory: it counts as gone.
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..][0] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Mount points under this harness's root, from the host's mount table.</summary>
    public IReadOnlyList<string> MountsUnderRoot() =>
        File.ReadAllLines("/proc/self/mountinfo").Select(l => l.Split(' ')[4]).Where(m => m.StartsWith(Root, StringComparison.Ordinal)).ToList();

    /// <summary>Every pid the runtime recorded under this root: holders, keepers, containers.</summary>
    /// <summary>The pid files PodShim writes: pods/*/{name} and, through <see cref="PodPaths.ExistingAttempts"/>, each
    /// attempt's (never a container's own files: nginx's /run/nginx.pid in its writable layer says 1).</summary>
    private IEnumerable<string> StateFiles(params string[] names)
    {
        foreach (string pod in Directory.EnumerateDirectories(Path.Combine(Root, "pods")))
        {
            IEnumerable<string> dirs = new PodPaths(pod).ExistingAttempts().Select(a => a.Directory).Prepend(pod);
            foreach (string dir in dirs)
                foreach (string name in names)
                    if (File.Exists(Path.Combine(dir, name)))
                        yield return Path.Combine(dir, name);
        }
    }

    public IReadOnlyList<int> RecordedPids()
    {
        var pids = new List<int>();
        if (!Directory.Exists(Path.Combine(Root, "pods")))
            return pids;
        foreach (string file in StateFiles("holder.pid", "keeper.pid", "container.pid"))
        {
            try
            {
                pids.Add(ReadPid(file));
            }
            catch (FormatException)
            {
            }
        }
        return pids;
    }

    public void Dispose()
    {
        var leaks = new List<string>();
        Remember();
        // Supervisors first (a live one would start what is killed below again), then everything else seen.
        foreach (int pid in ProcessesOfRoot())
        {
            leaks.Add($"podshim process {pid} still running");
            Posix.Kill(pid, Posix.SIGKILL);
        }
        lock (_seen)
            foreach ((int pid, ulong start) in _seen)
            {
                if (IsAlive(pid) && StartTicks(pid) == start)
                {
                    leaks.Add($"process {pid} still running");
                    Posix.Kill(pid, Posix.SIGKILL);
                }
            }
        foreach (int pid in RecordedPids())
        {
            if (IsAlive(pid))
            {
                leaks.Add($"process {pid} still running");
                Posix.Kill(pid, Posix.SIGKILL);
            }
        }
        RemoveDiagnosticsEndpoints();
        foreach (string mount in MountsUnderRoot().Reverse())
        {
            leaks.Add($"mount {mount} left behind");
            Posix.Unmount(mount, detach: true);
        }
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException e)
        {
            leaks.Add($"cannot remove {Root}: {e.Message}");
        }
        if (leaks.Count > 0)
            Assert.Fail("left behind: " + string.Join("; ", leaks));
    }

    /// <summary>
    /// The .NET runtime of every process makes a diagnostics socket and two debugger FIFOs in /tmp and removes them
    /// when it exits; a process killed with SIGKILL (what some tests do on purpose) leaves them. Those of the
    /// processes this harness started, and that are gone, are removed.
    /// </summary>
    private void RemoveDiagnosticsEndpoints()
    {
        var pids = new HashSet<int>();
        lock (_started)
            pids.UnionWith(_started);
        lock (_seen)
            pids.UnionWith(_seen.Select(s => s.Pid));
        foreach (int pid in pids)
        {
            if (IsAlive(pid))
                continue;
            foreach (string pattern in new[] { $"dotnet-diagnostic-{pid}-*-socket", $"clr-debug-pipe-{pid}-*-in", $"clr-debug-pipe-{pid}-*-out" })
                foreach (string file in Directory.GetFiles(Path.GetTempPath(), pattern))
                    File.Delete(file);
        }
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Shim.sln")))
                return dir.FullName;
        throw new InvalidOperationException("Shim.sln not found above " + AppContext.BaseDirectory);
    }
}
