using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using PodShim.Interop;
using PodShim.Interop.Syscalls;
using PodShim.Manifest;
using PodShim.Runtime.Cgroups;
using PodShim.Runtime.ClusterDns;
using PodShim.Runtime.Containers;
using PodShim.Runtime.Images;
using PodShim.Runtime.Logs;
using PodShim.Runtime.Pods;
using PodShim.Runtime.State;
using PodShim.Runtime.Status;

namespace PodShim.Cli.Commands;

/// <summary>
/// `podshim run -f pod.yaml`: runs one pod in the foreground as the kubelet would, printing a
/// kubectl-style row at every STATUS change and the containers' logs. Exit code 0 when the pod
/// Succeeded, else 1. Ctrl-C (or `podshim delete pod`) terminates it gracefully.
/// </summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var file = new Option<string>("--filename", "-f") { Description = "Pod manifest (YAML or JSON)", Required = true };
        var timeout = new Option<string?>("--timeout") { Description = "Terminate the pod and fail after this long (e.g. 30s, 5m)" };
        var remove = new Option<bool>("--rm") { Description = "Remove the pod (status, logs) when the command ends" };
        var requireCgroups = new Option<bool>("--require-cgroups") { Description = "Fail instead of running without enforced resource limits (no usable cgroup v2)" };
        var podPidsLimit = new Option<long>("--pod-pids-limit")
        {
            Description = $"The pod cgroup's pids.max, shared equally by its containers (default {CgroupSettings.DefaultPodPidsLimit})",
            DefaultValueFactory = _ => CgroupSettings.DefaultPodPidsLimit,
        };
        var upstreamDns = new Option<string?>("--upstream-dns")
        {
            Description = "Where the pod's cluster DNS forwards other names: IPs with optional ports, comma-separated, or \"none\" (default: the host's /etc/resolv.conf)",
        };
        var detach = new Option<bool>("--detach", "-d") { Description = "Start the pod with its own supervisor process and return at once" };
        var command = new Command("run", "Run a pod in the foreground (Ctrl-C terminates it gracefully), or detached with -d.")
        {
            file, timeout, remove, requireCgroups, podPidsLimit, upstreamDns, detach,
        };
        command.SetAction(result => result.GetValue(detach)
            ? Support.CommandGuard.Run(result, () => RunDetached(result, result.GetValue(file)!))
            : Run(result, result.GetValue(file)!, result.GetValue(timeout), result.GetValue(remove),
                new CgroupOptions { Require = result.GetValue(requireCgroups), PodPidsLimit = result.GetValue(podPidsLimit) }, result.GetValue(upstreamDns)));
        return command;
    }

    private static int Run(ParseResult result, string file, string? timeoutText, bool remove, CgroupOptions cgroups, string? upstreamDns)
    {
        PodPaths? created = null;
        try
        {
            StartupTrace.Mark("run: command parsed");
            if (!Posix.IsRoot)
                throw new PodRunException("podshim run must be run as root");
            TimeSpan? timeout = timeoutText is null ? null : ParseDuration(timeoutText);
            if (cgroups.PodPidsLimit <= CgroupSettings.HolderPidsMax)
                throw new PodRunException($"--pod-pids-limit must be above {CgroupSettings.HolderPidsMax}");
            ClusterDnsOptions dns = upstreamDns is null ? ClusterDnsOptions.Default
                : ClusterDnsOptions.Default with { Upstreams = ClusterDnsOptions.ParseUpstreams(upstreamDns) };
            string text = file == "-" ? Console.In.ReadToEnd() : File.ReadAllText(file);
            var pods = ManifestLoader.LoadText(text, file).OfType<Pod>().ToList();
            if (pods.Count != 1)
                throw new PodRunException($"{file}: run takes exactly one Pod, found {pods.Count}");
            Pod pod = pods[0];
            StartupTrace.Mark("manifest loaded");
            PodValidation.ThrowIfInvalid(pod);
            StartupTrace.Mark("manifest validated");
            StateLayout layout = GlobalOptions.Layout(result);
            // A missing image is not an error here: as on a node, its container waits (ErrImagePull,
            // ImagePullBackOff) and starts once the image is imported.

            PodPaths paths = layout.Pod(pod.Metadata.Namespace, pod.Metadata.Name);
            Support.SupervisorProcess.RecoverStale(layout);
            StartupTrace.Mark("stale supervisors checked");
            PodStore.CreatePod(paths, pod, text, DateTimeOffset.UtcNow);
            created = paths;
            StartupTrace.Mark("pod created");

            // Nothing in a pod may open this process's /proc/<pid>/exe or memory.
            Posix.SetNonDumpable();
            using var terminate = new CancellationTokenSource();
            bool timedOut = false;
            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel);
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel);
            void Cancel(PosixSignalContext context)
            {
                context.Cancel = true;
                terminate.Cancel();
            }
            using var timer = timeout is { } t ? new Timer(_ => { timedOut = true; terminate.Cancel(); }, null, t, Timeout.InfiniteTimeSpan) : null;
            // This process is the pod's supervisor: supervisor.pid (pid + start time) and the pod's lease, taken once
            // the signal handlers are in place (a delete signals a lease holder).
            using SupervisorLease lease = SupervisorLease.TryAcquire(paths, TimeSpan.FromSeconds(3))
                ?? throw new PodRunException($"pod {pod.Metadata.Name} is supervised by another process");

            StartupTrace.Mark("lease taken");
            using var logs = new CriLogFollower(Console.Out, Console.Error, TimeSpan.FromMilliseconds(50));
            var supervisor = new PodSupervisor(pod, layout, NativeLibraryResolver.BinDirectory, LinuxSyscalls.Instance, TimeProvider.System)
            {
                Cgroups = cgroups,
                Dns = dns,
            };
            var printer = new StatusRows(pod, Console.Out);
            StartupTrace.Mark("supervisor created");
            supervisor.AttemptStarted += (name, log) => logs.Add(name, log);
            supervisor.Lifecycle.StatusChanged += printer.Print;
            supervisor.Warning += (reason, message) => Console.Error.WriteLine($"Warning  {reason}  {message}");
            PodStatusInfo final;
            try
            {
                final = supervisor.Run(terminate.Token, () => DeleteRequest.ReadGrace(paths));
            }
            finally
            {
                supervisor.Dispose();
            }
            logs.Poll();
            if (timedOut)
                Console.Error.WriteLine($"Error: timed out after {timeoutText} waiting for pod/{pod.Metadata.Name}");
            lease.Dispose();
            if (remove)
                PodStore.Remove(paths, LinuxSyscalls.Instance);
            return final.Phase == "Succeeded" && !timedOut ? 0 : 1;
        }
        catch (Exception e) when (e is ManifestException or PodInvalidException or ImageNotFoundException or PodRunException
                                      or NativeException or SpawnException or ContainerConfigException or IOException
                                      or UnauthorizedAccessException or InvalidOperationException or FormatException)
        {
            Console.Error.WriteLine(e.Message.StartsWith("Error", StringComparison.Ordinal) ? e.Message : $"Error: {e.Message}");
            // A pod this command created and could not run leaves nothing behind.
            TryRemove(created);
            return 1;
        }
    }

    /// <summary>`run -d -f FILE`: the pod is created and handed to its own detached supervisor, as apply does.</summary>
    private static int RunDetached(ParseResult result, string file)
    {
        Support.CommandGuard.RequireRoot("run");
        string text = file == "-" ? Console.In.ReadToEnd() : ApplyCommand.ReadFile(file);
        var pods = ManifestLoader.LoadText(text, file).OfType<Pod>().ToList();
        if (pods.Count != 1)
            throw new PodRunException($"{file}: run takes exactly one Pod, found {pods.Count}");
        StateLayout layout = GlobalOptions.Layout(result);
        Support.SupervisorProcess.RecoverStale(layout);
        Pod pod = pods[0];
        PodValidation.ThrowIfInvalid(pod);
        if (StoredPod.Find(layout, pod.Metadata.Namespace, pod.Metadata.Name) is not null)
            throw new PodRunException($"Error from server (AlreadyExists): pods \"{pod.Metadata.Name}\" already exists");
        Support.PodCreation.Apply(layout, pod, text);
        Console.WriteLine($"pod/{pod.Metadata.Name} created");
        return 0;
    }

    private static void TryRemove(PodPaths? paths)
    {
        if (paths is null)
            return;
        try
        {
            PodStore.Remove(paths, LinuxSyscalls.Instance);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Durations as kubectl takes them: 30s, 5m, 1h, 1h30m, 500ms, or plain seconds.</summary>
    internal static TimeSpan ParseDuration(string text)
    {
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds))
            return TimeSpan.FromSeconds(seconds);
        TimeSpan total = TimeSpan.Zero;
        int i = 0;
        while (i < text.Length)
        {
            int start = i;
            while (i < text.Length && (char.IsDigit(text[i]) || text[i] == '.'))
                i++;
            int unitStart = i;
            while (i < text.Length && char.IsLetter(text[i]))
                i++;
            if (start == unitStart || unitStart == i)
                throw new FormatException($"invalid duration \"{text}\"");
            double value = double.Parse(text[start..unitStart], CultureInfo.InvariantCulture);
            total += text[unitStart..i] switch
            {
                "ms" => TimeSpan.FromMilliseconds(value),
                "s" => TimeSpan.FromSeconds(value),
                "m" => TimeSpan.FromMinutes(value),
                "h" => TimeSpan.FromHours(value),
                _ => throw new FormatException($"invalid duration \"{text}\""),
            };
        }
        return total;
    }

    /// <summary>kubectl get pod -w: a header, then a row whenever READY, STATUS or RESTARTS changes.</summary>
    private sealed class StatusRows(Pod pod, TextWriter output)
    {
        private string? _last;
        private bool _header;

        public void Print(PodStatusInfo status)
        {
            KubectlRow row = KubectlPrinter.Row(pod, status, DateTimeOffset.UtcNow);
            string key = $"{row.Ready}|{row.Status}|{row.Restarts}";
            if (key == _last)
                return;
            _last = key;
            int width = Math.Max(4, row.Name.Length) + 3;
            lock (output)
            {
                if (!_header)
                {
                    output.WriteLine($"{"NAME".PadRight(width)}{"READY",-8}{"STATUS",-24}{"RESTARTS",-12}AGE");
                    _header = true;
                }
                output.WriteLine($"{row.Name.PadRight(width)}{row.Ready,-8}{row.Status,-24}{row.Restarts,-12}{row.Age}");
                output.Flush();
            }
        }
    }
}
