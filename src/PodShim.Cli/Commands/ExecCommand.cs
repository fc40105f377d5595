using System.CommandLine;
using System.Globalization;
using PodShim.Cli.Support;
using PodShim.Interop;
using PodShim.Interop.Syscalls;
using PodShim.Manifest;
using PodShim.Runtime.Containers;
using PodShim.Runtime.Images;
using PodShim.Runtime.Kubectl;
using PodShim.Runtime.Pods;
using PodShim.Runtime.Recovery;
using PodShim.Runtime.State;
using PodShim.Runtime.Status;

namespace PodShim.Cli.Commands;

/// <summary>
/// `podshim exec NAME [-c C] [-i] -- CMD...`: runs a command in a running container through ps_exec (its
/// namespaces, user, capabilities and environment, as the container's own process has them), its output to this
/// terminal, its exit code passed through (`command terminated with exit code N` as kubectl says it).
/// </summary>
internal static class ExecCommand
{
    public static Command Create()
    {
        var pod = new Argument<string>("pod") { Description = "Pod name (or pod/NAME)" };
        var argv = new Argument<string[]>("command") { Description = "The command and its arguments (after --)", Arity = ArgumentArity.OneOrMore };
        var container = new Option<string?>("--container", "-c") { Description = "Container name (default: the first)" };
        var stdin = new Option<bool>("--stdin", "-i") { Description = "Pass stdin to the command" };
        var tty = new Option<bool>("--tty", "-t") { Description = "Allocate a terminal (not supported: the command gets pipes)" };
        var ns = GlobalOptions.Namespace();
        var command = new Command("exec", "Run a command in a running container.") { pod, argv, container, stdin, tty, ns };
        command.SetAction(result => CommandGuard.Run(result, () => Run(result, result.GetValue(pod)!, result.GetValue(argv)!,
            result.GetValue(container), result.GetValue(stdin), result.GetValue(ns)!)));
        return command;
    }

    private static int Run(ParseResult result, string podArg, string[] argv, string? containerName, bool interactive, string ns)
    {
        CommandGuard.RequireRoot("exec");
        StateLayout layout = GlobalOptions.Layout(result);
        SupervisorProcess.RecoverStale(layout);
        string name = podArg.StartsWith("pod/", StringComparison.Ordinal) ? podArg[4..] : podArg;
        StoredPod stored = StoredPod.Find(layout, ns, name) ?? throw KubectlException.NotFound("pods", name);
        PodStatusInfo status = stored.Status;
        if (PodPhases.IsTerminal(status.Phase))
            throw KubectlException.Client($"cannot exec into a container in a completed pod; current phase is {status.Phase}");
        Pod pod = stored.Pod;
        Container container = Choose(pod, containerName);
        ContainerStatusInfo? cs = status.ContainerStatuses.Concat(status.InitContainerStatuses).FirstOrDefault(s => s.Name == container.Name);
        if (cs?.State is not RunningState || PodLogs.AttemptOf(cs.ContainerId) is not int attempt)
            throw KubectlException.Client($"unable to upgrade connection: container not found (\"{container.Name}\")");

        using ContainerInstance instance = Attach(stored, pod, container, attempt, layout)
            ?? throw KubectlException.Client($"unable to upgrade connection: container not found (\"{container.Name}\")");
        ExecRequest request = instance.ExecRequest(argv, Path.Combine(NativeLibraryResolver.BinDirectory, "podshim-keeper")) with
        {
            StdinFromNull = !interactive,
        };
        ExecProcess process;
        try
        {
            process = NativeExec.Start(request);
        }
        catch (SpawnException e)
        {
            throw new KubectlException($"error: Internal error occurred: error executing command in container: {e.Message}");
        }
        using (process)
        {
            var pumps = new List<Thread>
            {
                Pump(process.Stdout, Console.OpenStandardOutput()),
                Pump(process.Stderr, Console.OpenStandardError()),
            };
            if (process.Stdin is { } input)
                FeedStdin(input);
            (int code, _) = Posix.WaitExit(process.Pidfd, -1) ?? (1, 0);
            // Something the command left running in the background may hold its pipes: drain briefly only.
            foreach (Thread t in pumps)
                t.Join(500);
            Console.Out.Flush();
            if (code != 0)
            {
                Console.Error.WriteLine($"command terminated with exit code {code.ToString(CultureInfo.InvariantCulture)}");
                return code;
            }
            return 0;
        }
    }

    /// <summary>-c, or the first container; kubectl says which it took when there was a choice.</summary>
    private static Container Choose(Pod pod, string? name)
    {
        if (!string.IsNullOrEmpty(name))
            return pod.Spec.AllContainers.FirstOrDefault(c => c.Name == name)
                ?? throw KubectlException.Client($"container {name} not found in pod {pod.Metadata.Name}");
        Container first = pod.Spec.Containers[0];
        if (pod.Spec.Containers.Count > 1 || pod.Spec.InitContainers.Count > 0)
            Console.Error.WriteLine($"Defaulted container \"{first.Name}\" out of: " +
                string.Join(", ", pod.Spec.Containers.Select(c => c.Name).Concat(pod.Spec.InitContainers.Select(c => $"{c.Name} (init)"))));
        return first;
    }

    /// <summary>
    /// The running attempt, found from its files as a recovering supervisor finds it: its keeper (whose command line
    /// names the attempt's log) and the keeper's child; its launch planned again from the pod and the image.
    /// </summary>
    private static ContainerInstance? Attach(StoredPod stored, Pod pod, Container container, int attempt, StateLayout layout)
    {
        AttemptPaths a = stored.Paths.Attempt(container.Name, attempt);
        int? keeper = ReadPid(a.KeeperPid), pid = ReadPid(a.ContainerPid);
        if (keeper is not int kp || pid is not int cp
            || ProcessInfo.CommandLine(kp).SkipWhile(arg => arg != "--log").Skip(1).FirstOrDefault() != a.Log
            || ProcessInfo.Read(cp) is not { IsAlive: true, ParentPid: var parent } || parent != kp)
            return null;
        ResolvedImage image = ImageStore.ForRoot(layout.Root).Resolve(container.Image);
        var sandbox = PodSandbox.Adopt(pod, stored.Paths, LinuxSyscalls.Instance, null, new HashSet<string>());
        return ContainerInstance.Adopt(sandbox, container, image, attempt, kp, cp);
    }

    private static int? ReadPid(string path)
    {
        try
        {
            return int.Parse(File.ReadAllText(path).Trim(), CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or FormatException)
        {
            return null;
        }
    }

    private static Thread Pump(SafeFdHandle from, Stream to)
    {
        var thread = new Thread(() =>
        {
            var buffer = new byte[16384];
            try
            {
                int n;
                while ((n = Posix.Read(from, buffer)) > 0)
                {
                    to.Write(buffer, 0, n);
                    to.Flush();
                }
            }
            catch (Exception e) when (e is NativeException or IOException or ObjectDisposedException)
            {
            }
        })
        { IsBackground = true, Name = "exec output" };
        thread.Start();
        return thread;
    }

    private static void FeedStdin(SafeFdHandle to)
    {
        var thread = new Thread(() =>
        {
            using Stream input = Console.OpenStandardInput();
            var buffer = new byte[16384];
            try
            {
                int n;
                while ((n = input.Read(buffer, 0, buffer.Length)) > 0)
                    Posix.WriteAll(to, buffer.AsSpan(0, n), "exec stdin");
            }
            catch (Exception e) when (e is NativeException or IOException or ObjectDisposedException)
            {
            }
            to.Dispose(); // EOF for the command
        })
        { IsBackground = true, Name = "exec stdin" };
        thread.Start();
    }
}
