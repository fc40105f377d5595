using System.CommandLine;
using System.Text.Json.Nodes;
using PodShim.Cli.Support;
using PodShim.Runtime.Kubectl;
using PodShim.Runtime.Pods;
using PodShim.Runtime.Services;
using PodShim.Runtime.State;

namespace PodShim.Cli.Commands;

/// <summary>
/// `podshim get pods|services [NAME ...] [-o wide|json|yaml|name] [-w] [-l SELECTOR] [-f FILE]`: kubectl's tables
/// (NAME READY STATUS RESTARTS AGE for pods) and objects, read from the state files only, so it answers at once
/// whatever the supervisors are doing. -w prints a row whenever a pod's row changes, until interrupted.
/// </summary>
internal static class GetCommand
{
    public static Command Create()
    {
        var args = new Argument<string[]>("resources") { Description = "TYPE [NAME ...] or TYPE/NAME ... (pods, services, all)", Arity = ArgumentArity.ZeroOrMore };
        var output = new Option<string?>("--output", "-o") { Description = "Output format: wide, json, yaml or name" };
        var watch = new Option<bool>("--watch", "-w") { Description = "After listing, print a row whenever one changes" };
        var selector = new Option<string?>("--selector", "-l") { Description = "Label selector (e.g. app=web,tier!=db)" };
        var files = new Option<string[]>("--filename", "-f") { Description = "Get the objects of these manifests" };
        var ns = GlobalOptions.Namespace();
        var all = new Option<bool>("--all-namespaces", "-A") { Description = "List the objects of every namespace" };
        var command = new Command("get", "Display pods and services (kubectl's columns).") { args, output, watch, selector, files, ns, all };
        command.SetAction(result => CommandGuard.Run(result, () => Run(result, new Request(
            result.GetValue(args) ?? [], result.GetValue(output), result.GetValue(watch), result.GetValue(selector),
            result.GetValue(files), result.GetValue(ns)!, result.GetValue(all)))));
        return command;
    }

    private sealed record Request(string[] Args, string? Output, bool Watch, string? Selector, string[]? Files, string Namespace, bool AllNamespaces);

    private static int Run(ParseResult result, Request r)
    {
        string format = r.Output ?? "";
        if (format is not ("" or "wide" or "json" or "yaml" or "name"))
            throw new KubectlException($"error: unable to match a printer suitable for the output format \"{format}\", allowed formats are: json,name,wide,yaml");
        StateLayout layout = GlobalOptions.Layout(result);
        StartupTrace.Mark("get: command parsed");
        SupervisorProcess.RecoverStale(layout);
        StartupTrace.Mark("get: supervisors checked");
        (List<ResourceRef> refs, bool showKind) = ResourceArgs.Parse(r.Args, r.Files, r.Namespace, "get");
        LabelSelector selector = r.Selector is { Length: > 0 } s ? LabelSelector.Parse(s) : LabelSelector.Everything;
        string? ns = r.AllNamespaces ? null : r.Namespace;
        var errors = new List<string>();
        var pods = new List<StoredPod>();
        var services = new List<StoredService>();
        var store = new ServiceStore(layout);
        foreach (ResourceRef reference in refs)
        {
            if (reference.Kind == ResourceKind.Pod)
            {
                if (reference.Name is null)
                    pods.AddRange(StoredPod.List(layout, ns).Where(p => selector.Matches(p.Record.Labels)));
                else if (StoredPod.Find(layout, reference.Namespace, reference.Name) is { } pod)
                    pods.Add(pod);
                else
                    errors.Add(KubectlException.NotFound("pods", reference.Name).Message);
            }
            else
            {
                if (reference.Name is null)
                    services.AddRange(store.List(ns).Where(x => selector.Matches(x.Labels)));
                else if (store.Get(reference.Namespace, reference.Name) is { } service)
                    services.Add(service);
                else
                    errors.Add(KubectlException.NotFound("services", reference.Name).Message);
            }
        }
        bool single = refs.Count == 1 && refs[0].Name is not null;
        StartupTrace.Mark("get: pods listed");
        if (r.Watch)
        {
            if (refs.Any(x => x.Kind != ResourceKind.Pod))
                throw new KubectlException("error: podshim can watch pods only");
            foreach (string error in errors)
                Console.Error.WriteLine(error);
            Watch(layout, refs, ns, selector, format, r.AllNamespaces, pods);
            return errors.Count > 0 ? 1 : 0;
        }
        // Laid out in memory and written at once (the console writer would make a system call per cell).
        var output = new StringWriter(System.Globalization.CultureInfo.InvariantCulture) { NewLine = "\n" };
        if (pods.Count + services.Count > 0)
            Print(output, pods, services, format, showKind, r.AllNamespaces, single, DateTimeOffset.UtcNow);
        Console.Out.Write(output.ToString());
        Console.Out.Flush();
        StartupTrace.Mark("get: printed");
        foreach (string error in errors)
            Console.Error.WriteLine(error);
        if (pods.Count + services.Count == 0 && errors.Count == 0)
            Console.Error.WriteLine(r.AllNamespaces ? "No resources found" : $"No resources found in {r.Namespace} namespace.");
        return errors.Count > 0 ? 1 : 0;
    }

    private static void Print(TextWriter output, List<StoredPod> pods, List<StoredService> services, string format, bool showKind,
        bool allNamespaces, bool single, DateTimeOffset now)
    {
        switch (format)
        {
            case "name":
                foreach (StoredPod p in pods)
                    output.WriteLine($"pod/{p.Name}");
                foreach (StoredService s in services)
                    output.WriteLine($"service/{s.Name}");
                break;
            case "json" or "yaml":
                var items = pods.Select(PodNode).Concat(services.Select(ServiceNode)).ToList();
                JsonNode node = single && items.Count == 1 ? items[0] : PodObject.List(items);
                output.Write(format == "json" ? ObjectPrinter.Json(node) : ObjectPrinter.Yaml(node));
                break;
            default:
                bool wide = format == "wide";
                if (pods.Count > 0)
                {
                    var table = TabWriter.ForTable(output);
                    PodTable.Write(table, PodTable.Header(wide, allNamespaces));
                    foreach (StoredPod p in pods)
                        PodTable.Write(table, PodRow(p, now, wide, allNamespaces, showKind));
                    table.Flush();
                }
                if (services.Count > 0)
                {
                    if (pods.Count > 0)
                        output.WriteLine();
                    var table = TabWriter.ForTable(output);
                    PodTable.Write(table, ServiceTable.Header(wide, allNamespaces));
                    foreach (StoredService s in services)
                        PodTable.Write(table, ServiceTable.Row(s, now, wide, allNamespaces, showKind ? "service/" : ""));
                    table.Flush();
                }
                break;
        }
    }

    private static IReadOnlyList<string> PodRow(StoredPod p, DateTimeOffset now, bool wide, bool allNamespaces, bool showKind) =>
        PodTable.Row(p.Record.SummaryPod(), p.Record, p.Status, now, wide, allNamespaces, showKind ? "pod/" : "");

    internal static JsonNode PodNode(StoredPod p) =>
        PodObject.Build(p.Pod, p.Record, p.Status, DeleteRequest.Time(p.Paths), DeleteRequest.ReadGrace(p.Paths) is { } g ? (long)g.TotalSeconds : null);

    internal static JsonNode ServiceNode(StoredService s) => JsonNode.Parse(ServiceJson.Serialize(s))!;

    /// <summary>
    /// -w: polls the pods' status files (written by temp file + rename, so never half read) and prints a row for every
    /// change of one (AGE aside), and the last row of a pod that is deleted, until Ctrl-C.
    /// </summary>
    private static void Watch(StateLayout layout, List<ResourceRef> refs, string? ns, LabelSelector selector, string format,
        bool allNamespaces, List<StoredPod> initial)
    {
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        bool wide = format == "wide";
        var buffer = new StringWriter(System.Globalization.CultureInfo.InvariantCulture) { NewLine = "\n" };
        var table = TabWriter.ForTable(buffer);
        bool header = false;
        void Out()
        {
            Console.Out.Write(buffer.ToString());
            buffer.GetStringBuilder().Clear();
            Console.Out.Flush();
        }
        var last = new Dictionary<string, (string Key, StoredPod Pod)>();
        void Emit(StoredPod p, DateTimeOffset now, bool flush = true)
        {
            switch (format)
            {
                case "name":
                    Console.Out.WriteLine($"pod/{p.Name}");
                    break;
                case "json" or "yaml":
                    JsonNode node = PodNode(p);
                    Console.Out.Write(format == "json" ? ObjectPrinter.Json(node) : "---\n" + ObjectPrinter.Yaml(node));
                    break;
                default:
                    if (!header)
                    {
                        PodTable.Write(table, PodTable.Header(wide, allNamespaces));
                        header = true;
                    }
                    PodTable.Write(table, PodRow(p, now, wide, allNamespaces, false));
                    if (flush)
                    {
                        table.Flush();
                        Out();
                    }
                    break;
            }
            Console.Out.Flush();
        }
        string KeyOf(StoredPod p, DateTimeOffset now)
        {
            var cells = PodRow(p, now, wide, allNamespaces, false).ToList();
            cells.RemoveAt(allNamespaces ? 5 : 4); // AGE moves on its own
            return string.Join('\t', cells) + (format is "json" or "yaml" ? Runtime.Status.PodStatusJson.Serialize(p.Status) : "");
        }
        // The listing first, through the same writer: later rows keep its column widths (RememberWidths).
        DateTimeOffset start = DateTimeOffset.UtcNow;
        foreach (StoredPod p in initial)
        {
            last[p.Paths.Directory] = (KeyOf(p, start), p);
            Emit(p, start, flush: false);
        }
        table.Flush();
        Out();
        while (!stop.IsCancellationRequested)
        {
            stop.Token.WaitHandle.WaitOne(200);
            if (stop.IsCancellationRequested)
                break;
            DateTimeOffset now = DateTimeOffset.UtcNow;
            var current = new List<StoredPod>();
            foreach (ResourceRef reference in refs)
            {
                if (reference.Name is null)
                    current.AddRange(StoredPod.List(layout, ns).Where(p => selector.Matches(p.Record.Labels)));
                else if (StoredPod.Find(layout, reference.Namespace, reference.Name) is { } pod)
                    current.Add(pod);
            }
            var seen = new HashSet<string>();
            foreach (StoredPod p in current)
            {
                seen.Add(p.Paths.Directory);
                string key = KeyOf(p, now);
                if (last.TryGetValue(p.Paths.Directory, out var before) && before.Key == key)
                    continue;
                last[p.Paths.Directory] = (key, p);
                Emit(p, now);
            }
            foreach (string gone in last.Keys.Where(k => !seen.Contains(k)).ToList())
            {
                Emit(last[gone].Pod, now);
                last.Remove(gone);
            }
        }
    }
}
