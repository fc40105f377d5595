using System.Globalization;
using PodShim.Interop;
using PodShim.Interop.Syscalls;
using PodShim.Manifest;
using PodShim.Runtime.Containers;
using PodShim.Runtime.Images;
using PodShim.Runtime.Logs;
using PodShim.Runtime.State;

namespace PodShim.Runtime.Pods;

/// <summary>A pod that failed to run, with a one-line reason for the user.</summary>
public sealed class PodRunException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// `podshim run -f`: runs one pod in the foreground. Init containers one at a time (each must exit 0),
/// then app containers in order; logs streamed with the container's name; Ctrl-C/SIGTERM terminates
/// with the pod's grace period. The full kubelet lifecycle (restarts, probes, status) builds on this.
/// </summary>
public sealed class ForegroundPodRunner
{
    private readonly StateLayout _layout;
    private readonly string _binDirectory;
    private readonly ISyscalls _sys;
    private readonly TextWriter _out;
    private readonly TextWriter _err;

    public ForegroundPodRunner(StateLayout layout, string binDirectory, ISyscalls sys, TextWriter stdout, TextWriter stderr)
    {
        _layout = layout;
        _binDirectory = binDirectory;
        _sys = sys;
        _out = stdout;
        _err = stderr;
    }

    /// <summary>Runs the pod to its end. Returns 0 when every container exited 0, else 1.</summary>
    public int Run(Pod pod, string manifestText, CancellationToken terminate)
    {
        PodValidation.ThrowIfInvalid(pod);
        // Resolve every image before anything is created: a missing image changes nothing.
        var store = ImageStore.ForRoot(_layout.Root);
        var images = new Dictionary<string, ResolvedImage>();
        foreach (Container c in pod.Spec.InitContainers.Concat(pod.Spec.Containers))
            images[c.Name] = store.Resolve(c.Image);

        PodPaths paths = _layout.Pod(pod.Metadata.Namespace, pod.Metadata.Name);
        ClaimPodDirectory(paths, pod);
        File.WriteAllText(paths.Manifest, manifestText);
        AtomicFile.WriteAllText(paths.SupervisorPid, Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n");

        using var logs = new CriLogFollower(_out, _err, TimeSpan.FromMilliseconds(50));
        using PodSandbox sandbox = PodSandbox.Create(pod, paths, _binDirectory, _sys);
        var running = new List<ContainerInstance>();
        bool allSucceeded = true;
        try
        {
            foreach (Container init in pod.Spec.InitContainers)
            {
                using ContainerInstance instance = StartContainer(sandbox, init, images[init.Name], logs);
                ExitRecord? exit = WaitOrTerminate([instance], pod, terminate).GetValueOrDefault(instance);
                if (terminate.IsCancellationRequested)
                    return 1;
                if (exit is null || exit.ExitCode != 0)
                    throw new PodRunException($"init container \"{init.Name}\" failed with exit code {exit?.ExitCode}");
            }
            foreach (Container app in pod.Spec.Containers)
                running.Add(StartContainer(sandbox, app, images[app.Name], logs));
            Dictionary<ContainerInstance, ExitRecord> exits = WaitOrTerminate(running, pod, terminate);
            foreach (ContainerInstance c in running)
            {
                ExitRecord? exit = exits.GetValueOrDefault(c);
                if (exit is null || exit.ExitCode != 0)
                    allSucceeded = false;
            }
            return allSucceeded && !terminate.IsCancellationRequested ? 0 : 1;
        }
        catch
        {
            Terminate(running, pod.Spec.TerminationGracePeriodSeconds);
            throw;
        }
        finally
        {
            foreach (ContainerInstance c in running)
                c.Dispose();
            File.Delete(paths.SupervisorPid);
        }
    }

    private ContainerInstance StartContainer(PodSandbox sandbox, Container container, ResolvedImage image, CriLogFollower logs)
    {
        AttemptPaths attempt = sandbox.Paths.Attempt(container.Name, 0);
        logs.Add(container.Name, attempt.Log);
        try
        {
            return ContainerInstance.Start(sandbox, container, image, 0, _binDirectory);
        }
        catch (Exception e) when (e is SpawnException or ContainerConfigException)
        {
            throw new PodRunException($"container \"{container.Name}\": {e.Message}", e);
        }
    }

    /// <summary>Waits for every container to exit; on termination, stops them with the pod's grace period.</summary>
    private static Dictionary<ContainerInstance, ExitRecord> WaitOrTerminate(IReadOnlyList<ContainerInstance> containers, Pod pod, CancellationToken terminate)
    {
        var exits = new Dictionary<ContainerInstance, ExitRecord>();
        while (exits.Count < containers.Count)
        {
            if (terminate.IsCancellationRequested)
            {
                foreach (var (c, exit) in Terminate(containers.Where(c => !exits.ContainsKey(c)).ToList(), pod.Spec.TerminationGracePeriodSeconds))
                    exits[c] = exit;
                break;
            }
            bool progressed = false;
            foreach (ContainerInstance c in containers)
            {
                if (!exits.ContainsKey(c) && c.WaitExit(0) is { } exit)
                {
                    exits[c] = exit;
                    progressed = true;
                }
            }
            if (!progressed)
                terminate.WaitHandle.WaitOne(10);
        }
        return exits;
    }

    /// <summary>SIGTERM, then SIGKILL once the grace period has run out.</summary>
    private static List<(ContainerInstance, ExitRecord)> Terminate(IReadOnlyList<ContainerInstance> containers, long graceSeconds)
    {
        foreach (ContainerInstance c in containers)
            c.Signal(Posix.SIGTERM);
        long deadline = Environment.TickCount64 + graceSeconds * 1000;
        var done = new List<(ContainerInstance, ExitRecord)>();
        var left = containers.ToList();
        while (left.Count > 0)
        {
            int wait = (int)Math.Max(0, deadline - Environment.TickCount64);
            if (wait == 0)
            {
                foreach (ContainerInstance c in left)
                    c.Signal(Posix.SIGKILL);
                deadline = long.MaxValue;
            }
            for (int i = left.Count - 1; i >= 0; i--)
            {
                if (left[i].WaitExit(0) is { } exit)
                {
                    done.Add((left[i], exit));
                    left.RemoveAt(i);
                }
            }
            if (left.Count > 0)
                Thread.Sleep(10);
        }
        return done;
    }

    /// <summary>Takes the pod's state directory: refuses a pod whose supervisor is alive, clears a stale one.</summary>
    private void ClaimPodDirectory(PodPaths paths, Pod pod)
    {
        if (File.Exists(paths.SupervisorPid)
            && int.TryParse(File.ReadAllText(paths.SupervisorPid).Trim(), CultureInfo.InvariantCulture, out int pid)
            && pid != Environment.ProcessId && Directory.Exists($"/proc/{pid}"))
            throw new PodRunException($"pod \"{pod.Metadata.Name}\" is already running in namespace \"{pod.Metadata.Namespace}\" (supervisor pid {pid})");
        if (Directory.Exists(paths.Directory))
        {
            _sys.Unmount(paths.Shm, detach: true);
            if (Directory.Exists(paths.VolumesDirectory))
                foreach (string volume in Directory.GetDirectories(paths.VolumesDirectory))
                    _sys.Unmount(volume, detach: true);
            Directory.Delete(paths.Directory, recursive: true);
        }
        Directory.CreateDirectory(paths.Directory);
    }
}
