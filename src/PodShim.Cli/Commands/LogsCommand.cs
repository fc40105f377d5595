using System.CommandLine;
using PodShim.Cli.Support;
using PodShim.Runtime.Kubectl;
using PodShim.Runtime.Pods;
using PodShim.Runtime.State;

namespace PodShim.Cli.Commands;

/// <summary>
/// `podshim logs NAME [-c C] [-f] [--previous] [--tail N] [--timestamps]`: a container's log from the CRI file its
/// keeper writes (both streams, as the kubelet serves them), with kubectl's and the kubelet's errors.
/// </summary>
internal static class LogsCommand
{
    public static Command Create()
    {
        var pod = new Argument<string>("pod") { Description = "Pod name (or pod/NAME)" };
        var container = new Option<string?>("--container", "-c") { Description = "Container name" };
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing new lines until the container ends" };
        var previous = new Option<bool>("--previous", "-p") { Description = "The previous (terminated) attempt of the container" };
        var tail = new Option<long>("--tail") { Description = "Only the last N lines (-1: all)", DefaultValueFactory = _ => -1 };
        var timestamps = new Option<bool>("--timestamps") { Description = "Prefix each line with its time (RFC 3339)" };
        var ns = GlobalOptions.Namespace();
        var command = new Command("logs", "Print a container's log.") { pod, container, follow, previous, tail, timestamps, ns };
        command.SetAction(result => CommandGuard.Run(result, () => Run(result, result.GetValue(pod)!, result.GetValue(container),
            new LogOptions
            {
                Follow = result.GetValue(follow),
                Previous = result.GetValue(previous),
                Tail = result.GetValue(tail) is var t and >= 0 ? t : null,
                Timestamps = result.GetValue(timestamps),
            }, result.GetValue(ns)!)));
        return command;
    }

    private static int Run(ParseResult result, string podArg, string? container, LogOptions options, string ns)
    {
        StateLayout layout = GlobalOptions.Layout(result);
        SupervisorProcess.RecoverStale(layout);
        string name = podArg.StartsWith("pod/", StringComparison.Ordinal) ? podArg[4..] : podArg.StartsWith("pods/", StringComparison.Ordinal) ? podArg[5..] : podArg;
        StoredPod pod = StoredPod.Find(layout, ns, name) ?? throw KubectlException.NotFound("pods", name);
        string chosen = PodLogs.ChooseContainer(pod.Record.SummaryPod(), container);
        int attempt = PodLogs.SelectAttempt(pod.Status, name, chosen, options.Previous);
        AttemptPaths paths = pod.Paths.Attempt(chosen, attempt);
        if (!options.Follow || options.Previous)
        {
            PodLogs.Write(paths.Log, Console.Out, options);
            return 0;
        }
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        PodLogs.Follow(new AttemptPathsView(paths.Directory, paths.Log, paths.Exit), Console.Out, options, stop.Token);
        return 0;
    }
}
