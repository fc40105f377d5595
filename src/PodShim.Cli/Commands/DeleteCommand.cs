using System.CommandLine;
using PodShim.Cli.Support;
using PodShim.Interop;
using PodShim.Interop.Syscalls;
using PodShim.Runtime.Kubectl;
using PodShim.Runtime.Pods;
using PodShim.Runtime.Recovery;
using PodShim.Runtime.Services;
using PodShim.Runtime.State;

namespace PodShim.Cli.Commands;

/// <summary>
/// `podshim delete pod NAME ... [--grace-period N] [--now]`, `delete -f FILE`, `delete service NAME`: a pod is
/// terminated gracefully by its supervisor (preStop, stop signal, SIGKILL after the grace), then removed; like
/// kubectl, the command waits until it is gone.
/// </summary>
internal static class DeleteCommand
{
    public static Command Create()
    {
        var args = new Argument<string[]>("resources") { Description = "TYPE NAME ... or TYPE/NAME ... (pods, services)", Arity = ArgumentArity.ZeroOrMore };
        var files = new Option<string[]>("--filename", "-f") { Description = "Delete the objects of these manifests" };
        var grace = new Option<long>("--grace-period") { Description = "Seconds given to the pod to terminate (-1: the pod's own; 0 needs --force)", DefaultValueFactory = _ => -1 };
        var now = new Option<bool>("--now") { Description = "Signal the pod for immediate shutdown (same as --grace-period=1)" };
        var force = new Option<bool>("--force") { Description = "With --grace-period=0: kill at once" };
        var ns = GlobalOptions.Namespace();
        var command = new Command("delete", "Delete pods (terminated gracefully, then removed) and services.") { args, files, grace, now, force, ns };
        command.SetAction(result => CommandGuard.Run(result, () => Run(result, result.GetValue(args) ?? [], result.GetValue(files),
            Grace(result.GetValue(grace), result.GetValue(now), result.GetValue(force)), result.GetValue(ns)!)));
        return command;
    }

    /// <summary>kubectl's rules: --now is 1 s; 0 without --force becomes 1 (immediate deletion must be forced); -1 is the pod's.</summary>
    private static TimeSpan? Grace(long seconds, bool now, bool force)
    {
        if (now)
            return TimeSpan.FromSeconds(1);
        if (seconds < 0)
            return force ? TimeSpan.Zero : null;
        if (seconds == 0 && !force)
            return TimeSpan.FromSeconds(1);
        return TimeSpan.FromSeconds(seconds);
    }

    private static int Run(ParseResult result, string[] args, string[]? files, TimeSpan? grace, string ns)
    {
        StateLayout layout = GlobalOptions.Layout(result);
        (List<ResourceRef> refs, _) = ResourceArgs.Parse(args, files, ns, "delete");
        if (refs.Any(r => r.Name is null))
            throw new KubectlException("error: resource(s) were provided, but no name was specified");
        if (refs.Any(r => r.Kind == ResourceKind.Pod))
            CommandGuard.RequireRoot("delete");
        // A pod whose supervisor was killed gets a new one first: it terminates the pod gracefully.
        SupervisorProcess.RecoverStale(layout);
        int rc = 0;
        foreach (ResourceRef r in refs)
        {
            bool deleted = r.Kind == ResourceKind.Pod ? DeletePod(layout.Pod(r.Namespace, r.Name!), grace)
                : new ServiceStore(layout).Delete(r.Namespace, r.Name!);
            if (deleted)
            {
                Console.WriteLine($"{ResourceArgs.Singular(r.Kind)} \"{r.Name}\" deleted");
            }
            else
            {
                Console.Out.Flush();
                Console.Error.WriteLine(KubectlException.NotFound(ResourceArgs.Plural(r.Kind), r.Name!).Message);
                rc = 1;
            }
        }
        return rc;
    }

    private static bool DeletePod(PodPaths paths, TimeSpan? grace)
    {
        if (!File.Exists(paths.Record) && !File.Exists(paths.Manifest))
            return false;
        DeleteRequest.Write(paths, grace);
        // The supervisor sees the request when it starts, or is told by SIGTERM once it holds the pod's lease (then
        // its handler is in place). It removes the pod when done; we wait for it as kubectl waits.
        bool signalled = false;
        (int Pid, ulong Start)? supervisor = null;
        while (true)
        {
            bool held = SupervisorLease.IsHeld(paths);
            int? pid = SupervisorRecord.LivePid(paths);
            if (pid is int live && SupervisorRecord.Read(paths) is { } record && record.Pid == live)
                supervisor = record;
            // Until the supervisor process itself is gone: it removes the pod after letting go of its lease.
            bool running = supervisor is { } s && ProcessInfo.Read(s.Pid) is { IsAlive: true } info && (s.Start == 0 || info.StartTicks == s.Start);
            if (!held && pid is null && !running)
                break;
            if (held && pid is int p && !signalled && p != Environment.ProcessId)
            {
                Posix.Kill(p, Posix.SIGTERM);
                signalled = true;
            }
            Thread.Sleep(50);
        }
        // No supervisor (any more): what remains is stopped and removed here.
        PodStore.Remove(paths, LinuxSyscalls.Instance);
        return true;
    }
}
