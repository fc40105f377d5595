using System.CommandLine;
using PodShim.Interop;
using PodShim.Interop.Syscalls;
using PodShim.Runtime.Pods;
using PodShim.Runtime.State;

namespace PodShim.Cli.Commands;

/// <summary>`podshim delete pod NAME [--grace-period N]`: terminates the pod gracefully, then removes it.</summary>
internal static class DeleteCommand
{
    public static Command Create()
    {
        var kind = new Argument<string>("kind") { Description = "pod" };
        var names = new Argument<string[]>("name") { Description = "Pod names", Arity = ArgumentArity.OneOrMore };
        var grace = new Option<long?>("--grace-period") { Description = "Seconds given to the pod to terminate (default: the pod's)" };
        var ns = new Option<string>("--namespace", "-n") { Description = "Namespace", DefaultValueFactory = _ => "default" };
        var command = new Command("delete", "Delete pods: terminate them gracefully, then remove their state.") { kind, names, grace, ns };
        command.SetAction(result => Run(result, result.GetValue(kind)!, result.GetValue(names)!, result.GetValue(grace), result.GetValue(ns)!));
        return command;
    }

    private static int Run(ParseResult result, string kind, string[] names, long? graceSeconds, string ns)
    {
        if (kind is not ("pod" or "pods" or "po"))
        {
            Console.Error.WriteLine($"error: the server doesn't have a resource type \"{kind}\"");
            return 1;
        }
        StateLayout layout = GlobalOptions.Layout(result);
        TimeSpan? grace = graceSeconds is long g ? TimeSpan.FromSeconds(g) : null;
        int rc = 0;
        foreach (string name in names)
        {
            PodPaths paths = layout.Pod(ns, name);
            if (!Directory.Exists(paths.Directory))
            {
                Console.Error.WriteLine($"Error from server (NotFound): pods \"{name}\" not found");
                rc = 1;
                continue;
            }
            if (PodStore.LiveSupervisor(paths) is int pid)
            {
                DeleteRequest.Write(paths, grace);
                Posix.Kill(pid, Posix.SIGTERM);
                // Like kubectl, wait until the pod is gone (its supervisor ends after the grace at most).
                while (Directory.Exists($"/proc/{pid}"))
                    Thread.Sleep(20);
            }
            PodStore.Remove(paths, LinuxSyscalls.Instance);
            Console.WriteLine($"pod \"{name}\" deleted");
        }
        return rc;
    }
}
