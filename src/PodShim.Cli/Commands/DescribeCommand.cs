using System.CommandLine;
using PodShim.Cli.Support;
using PodShim.Runtime.Kubectl;
using PodShim.Runtime.Pods;
using PodShim.Runtime.Services;
using PodShim.Runtime.State;
using PodShim.Runtime.Status;

namespace PodShim.Cli.Commands;

/// <summary>
/// `podshim describe pod NAME` / `describe -f FILE`: kubectl's layout (containers with their states, conditions,
/// volumes, events), from the state files. `--timeline` draws the pod's containers' attempts and probe results on
/// one time axis instead.
/// </summary>
internal static class DescribeCommand
{
    public static Command Create()
    {
        var args = new Argument<string[]>("resources") { Description = "TYPE [NAME ...] or TYPE/NAME ...", Arity = ArgumentArity.ZeroOrMore };
        var files = new Option<string[]>("--filename", "-f") { Description = "Describe the objects of these manifests" };
        var ns = GlobalOptions.Namespace();
        var timeline = new Option<bool>("--timeline") { Description = "Draw each container's attempts, exits and probe results on one time axis" };
        var command = new Command("describe", "Show details of pods and services (kubectl's layout).") { args, files, ns, timeline };
        command.SetAction(result => CommandGuard.Run(result, () => Run(result, result.GetValue(args) ?? [], result.GetValue(files),
            result.GetValue(ns)!, result.GetValue(timeline))));
        return command;
    }

    private static int Run(ParseResult result, string[] args, string[]? files, string ns, bool timeline)
    {
        StateLayout layout = GlobalOptions.Layout(result);
        SupervisorProcess.RecoverStale(layout);
        (List<ResourceRef> refs, _) = ResourceArgs.Parse(args, files, ns, "describe");
        var store = new ServiceStore(layout);
        var texts = new List<string>();
        var errors = new List<string>();
        DateTimeOffset now = DateTimeOffset.UtcNow;
        foreach (ResourceRef r in refs)
        {
            if (r.Kind == ResourceKind.Pod)
            {
                IEnumerable<StoredPod> pods = r.Name is null ? StoredPod.List(layout, r.Namespace)
                    : StoredPod.Find(layout, r.Namespace, r.Name) is { } found ? [found] : [];
                if (r.Name is not null && !pods.Any())
                    errors.Add(KubectlException.NotFound("pods", r.Name).Message);
                foreach (StoredPod pod in pods)
                    texts.Add(timeline ? Timeline(pod, now) : Describe(pod, now));
            }
            else
            {
                IEnumerable<StoredService> services = r.Name is null ? store.List(r.Namespace)
                    : store.Get(r.Namespace, r.Name) is { } found ? [found] : [];
                if (r.Name is not null && !services.Any())
                    errors.Add(KubectlException.NotFound("services", r.Name).Message);
                foreach (StoredService service in services)
                    texts.Add(ServiceDescriber.Describe(service, Endpoints(layout, service)));
            }
        }
        Console.Out.Write(string.Join("\n\n", texts));
        Console.Out.Flush();
        foreach (string error in errors)
            Console.Error.WriteLine(error);
        if (texts.Count == 0 && errors.Count == 0)
            Console.Error.WriteLine($"No resources found in {ns} namespace.");
        return errors.Count > 0 ? 1 : 0;
    }

    private static string Describe(StoredPod pod, DateTimeOffset now)
    {
        var events = EventLog.Aggregate(EventLog.Read(pod.Paths.Events));
        var description = new PodDescription(pod.Pod, pod.Record, pod.Status, events)
        {
            DeletionTimestamp = DeleteRequest.Time(pod.Paths),
            DeletionGracePeriodSeconds = DeleteRequest.ReadGrace(pod.Paths) is { } g ? (long)g.TotalSeconds : null,
        };
        return PodDescriber.Describe(description, now, TimeZoneInfo.Local);
    }

    private static string Timeline(StoredPod pod, DateTimeOffset now)
    {
        int width = 100;
        try
        {
            if (!Console.IsOutputRedirected && Console.WindowWidth > 0)
                width = Console.WindowWidth;
            else if (int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), out int columns) && columns > 0)
                width = columns;
        }
        catch (IOException)
        {
        }
        return PodTimeline.Render(PodTimeline.Load(pod.Pod, pod.Paths, pod.Status, now), width);
    }

    /// <summary>The pod IPs behind a Service: ready pods of its namespace whose labels match its selector.</summary>
    private static IReadOnlyList<string> Endpoints(StateLayout layout, StoredService service)
    {
        if (service.Selector.Count == 0)
            return [];
        return StoredPod.List(layout, service.Namespace)
            .Where(p => service.Selector.All(kv => p.Record.Labels.TryGetValue(kv.Key, out string? v) && v == kv.Value))
            .Select(p => p.Status)
            .Where(s => s.PodIP.Length > 0 && PodConditions.IsTrue(s.Conditions, ConditionTypes.Ready))
            .Select(s => s.PodIP)
            .ToList();
    }
}
