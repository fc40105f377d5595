using System.Diagnostics;
using PodShim.Interop;
using PodShim.Runtime.Pods;
using PodShim.Runtime.State;

namespace PodShim.Cli.Support;

/// <summary>
/// Detached supervisors: one `podshim supervise NS/NAME` process per pod, started without waiting for it. It puts
/// itself in its own session with its stdio on /dev/null and the pod's supervisor.log (see SuperviseCommand), so
/// it outlives this command and its terminal.
/// </summary>
/// <summary>A pod whose killed supervisor was replaced, and the new one's pid.</summary>
internal sealed record Restarted(string Namespace, string Name, int Pid);

internal static class SupervisorProcess
{
    /// <summary>Starts the pod's supervisor and records it in supervisor.pid (pid and start time) at once.</summary>
    public static int Launch(StateLayout layout, string @namespace, string name)
    {
        var psi = new ProcessStartInfo(Environment.ProcessPath ?? Path.Combine(AppContext.BaseDirectory, "podshim"))
        {
            UseShellExecute = false,
            // Pipes the child lets go of at once: it must not keep this command's own stdout (a terminal, or a
            // pipe a caller reads to its end) open.
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.ArgumentList.Add("supervise");
        psi.ArgumentList.Add($"{@namespace}/{name}");
        psi.ArgumentList.Add("--root");
        psi.ArgumentList.Add(layout.Root);
        psi.Environment.Remove("PODSHIM_TRACE");
        // No debugger or diagnostics endpoints in a long-lived root process no tool attaches to: they are a socket and
        // two FIFOs in /tmp that a killed supervisor leaves behind for good. Set it in the environment to have them.
        if (!psi.Environment.ContainsKey("DOTNET_EnableDiagnostics"))
            psi.Environment["DOTNET_EnableDiagnostics"] = "0";
        using Process process = Process.Start(psi) ?? throw new IOException($"cannot start {psi.FileName}");
        process.StandardInput.Close();
        process.StandardOutput.Close();
        process.StandardError.Close();
        SupervisorRecord.Write(layout.Pod(@namespace, name), process.Id);
        return process.Id;
    }

    /// <summary>
    /// Every pod whose supervisor was killed (supervisor.pid names a process that is gone, or another process with
    /// the same pid) gets a new one, which takes over from the pod's checkpoint. Cheap enough to run before every
    /// command: a read of supervisor.pid and /proc/PID/stat per pod.
    /// </summary>
    public static IReadOnlyList<Restarted> RecoverStale(StateLayout layout)
    {
        var started = new List<Restarted>();
        if (!Posix.IsRoot || !Directory.Exists(layout.PodsDirectory))
            return started;
        foreach (string dir in Directory.EnumerateDirectories(layout.PodsDirectory))
        {
            var paths = new PodPaths(dir);
            // A live supervisor holds the pod's lock (an flock probe is three system calls); only without it are the
            // pid and start time in supervisor.pid compared with /proc (a supervisor may be starting, not holding it yet).
            if (!File.Exists(paths.SupervisorPid) || SupervisorLease.IsHeld(paths) || SupervisorRecord.Check(paths) != SupervisorState.Stale)
                continue;
            string leaf = Path.GetFileName(dir);
            int sep = leaf.IndexOf('_');
            if (sep <= 0)
                continue;
            string ns = leaf[..sep], name = leaf[(sep + 1)..];
            try
            {
                started.Add(new Restarted(ns, name, Launch(layout, ns, name)));
            }
            catch (Exception e) when (e is IOException or System.ComponentModel.Win32Exception or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"warning: cannot restart the supervisor of pod {ns}/{name}: {e.Message}");
            }
        }
        return started;
    }
}
