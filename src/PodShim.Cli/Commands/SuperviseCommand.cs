using System.CommandLine;
using System.Runtime.InteropServices;
using PodShim.Cli.Support;
using PodShim.Interop;
using PodShim.Interop.Syscalls;
using PodShim.Runtime.Lifecycle;
using PodShim.Runtime.Pods;
using PodShim.Runtime.Recovery;
using PodShim.Runtime.State;
using PodShim.Runtime.Status;

namespace PodShim.Cli.Commands;

/// <summary>
/// `podshim supervise NAMESPACE/NAME` (hidden): the detached supervisor of one pod, started by apply, run -d and
/// recovery. It leaves its caller's terminal (own session, stdio on /dev/null and supervisor.log), takes the pod's
/// lease (one supervisor per pod), then runs the pod from the start, or from its checkpoint when a supervisor
/// before it was killed. It ends when the pod is finished; after a delete it removes the pod.
/// </summary>
internal static class SuperviseCommand
{
    public static Command Create()
    {
        var pod = new Argument<string>("pod") { Description = "NAMESPACE/NAME" };
        var command = new Command("supervise", "Supervise one pod, detached (started by apply, run -d and recover).") { pod };
        command.Hidden = true;
        command.SetAction(result => Run(result, result.GetValue(pod)!));
        return command;
    }

    private static int Run(ParseResult result, string podRef)
    {
        StateLayout layout = GlobalOptions.Layout(result);
        int slash = podRef.IndexOf('/');
        if (slash <= 0)
        {
            Console.Error.WriteLine($"error: expected NAMESPACE/NAME, got \"{podRef}\"");
            return 1;
        }
        PodPaths paths = layout.Pod(podRef[..slash], podRef[(slash + 1)..]);
        if (!Directory.Exists(paths.Directory))
        {
            Console.Error.WriteLine($"error: pod {podRef} not found under {layout.Root}");
            return 1;
        }
        // First of all: let go of the caller's stdio (it may be waiting for them to close) and its terminal.
        ProcessSession.Detach(paths.SupervisorLog);
        Log($"supervisor {Environment.ProcessId} for pod {podRef}");

        using var terminate = new CancellationTokenSource();
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel);
        using var sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context => context.Cancel = true);
        void Cancel(PosixSignalContext context)
        {
            context.Cancel = true;
            terminate.Cancel();
        }

        using SupervisorLease? lease = SupervisorLease.TryAcquire(paths, TimeSpan.FromSeconds(3));
        if (lease is null)
        {
            Log("another supervisor holds the pod: nothing to do");
            return 0;
        }
        PodSupervisor? supervisor = null;
        try
        {
            StoredPod stored = StoredPod.Find(layout, podRef[..slash], podRef[(slash + 1)..])
                ?? throw new InvalidDataException($"{paths.Directory}: not a pod");
            Posix.SetNonDumpable();
            // A delete that came before this process could listen for it.
            if (DeleteRequest.Exists(paths))
                terminate.Cancel();
            supervisor = new PodSupervisor(stored.Pod, layout, NativeLibraryResolver.BinDirectory, LinuxSyscalls.Instance, TimeProvider.System);
            supervisor.Diagnostic += Log;
            supervisor.Warning += (reason, message) => Log($"Warning {reason}: {message}");
            LifecycleSnapshot? saved = ReadCheckpoint(paths);
            PodStatusInfo final;
            if (saved is null)
            {
                supervisor.DiscardLeftovers();
                final = supervisor.Run(terminate.Token, () => DeleteRequest.ReadGrace(paths));
            }
            else
            {
                Log("recovering from the checkpoint");
                final = supervisor.Recover(saved, terminate.Token, () => DeleteRequest.ReadGrace(paths));
            }
            Log($"pod finished: {final.Phase}");
        }
        catch (Exception e)
        {
            Log($"supervisor failed: {e}");
            supervisor?.Record("Warning", "FailedSupervision", e.Message);
            return 1;
        }
        finally
        {
            supervisor?.Dispose();
        }
        bool deleted = DeleteRequest.Exists(paths);
        lease.Dispose();
        if (deleted)
        {
            Log("deleting the pod");
            PodStore.Remove(paths, LinuxSyscalls.Instance);
        }
        return 0;
    }

    private static LifecycleSnapshot? ReadCheckpoint(PodPaths paths)
    {
        try
        {
            return LifecycleCheckpoint.Parse(File.ReadAllText(paths.Checkpoint));
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (FormatException e)
        {
            // Cannot happen with temp file + rename; if it does, starting over is all that is left.
            Log($"unreadable checkpoint ({e.Message}): starting the pod over");
            return null;
        }
    }

    private static void Log(string message)
    {
        Console.Out.WriteLine($"{DateTimeOffset.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} {message}");
        Console.Out.Flush();
    }
}
