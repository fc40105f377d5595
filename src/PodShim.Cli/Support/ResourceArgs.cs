using PodShim.Manifest;
using PodShim.Runtime.Kubectl;

namespace PodShim.Cli.Support;

/// <summary>The resource kinds podshim serves.</summary>
internal enum ResourceKind { Pod, Service }

/// <summary>One object a command names: its kind, namespace and name (null: all of that kind).</summary>
internal sealed record ResourceRef(ResourceKind Kind, string Namespace, string? Name);

/// <summary>kubectl's ways of naming resources: <c>pods a b</c>, <c>pod/a service/b</c>, <c>pods,services</c>, <c>all</c>, <c>-f FILE</c>.</summary>
internal static class ResourceArgs
{
    public static ResourceKind KindOf(string type) => type.ToLowerInvariant() switch
    {
        "pod" or "pods" or "po" => ResourceKind.Pod,
        "service" or "services" or "svc" => ResourceKind.Service,
        _ => throw new KubectlException($"error: the server doesn't have a resource type \"{type}\""),
    };

    public static string Plural(ResourceKind kind) => kind == ResourceKind.Pod ? "pods" : "services";

    public static string Singular(ResourceKind kind) => kind == ResourceKind.Pod ? "pod" : "service";

    /// <summary>
    /// TYPE [NAME...], TYPE/NAME..., or the objects of manifest files. Returns the references and how many kinds were
    /// asked for (kubectl prefixes names with their kind when there are several).
    /// </summary>
    public static (List<ResourceRef> Refs, bool ShowKind) Parse(string[] args, string[]? files, string @namespace, string verb)
    {
        var refs = new List<ResourceRef>();
        if (files is { Length: > 0 })
        {
            if (args.Length > 0)
                throw new KubectlException("error: Unexpected args: [" + string.Join(' ', args) + "]\nSee 'podshim " + verb + " -h' for help and examples");
            foreach (string file in files)
            {
                string text = file == "-" ? Console.In.ReadToEnd() : Commands.ApplyCommand.ReadFile(file);
                foreach (KubeObject o in ManifestLoader.LoadText(text, file))
                    refs.Add(new ResourceRef(o is Pod ? ResourceKind.Pod : ResourceKind.Service, o.Metadata.Namespace, o.Metadata.Name));
            }
            return (refs, SeveralKinds(refs));
        }
        if (args.Length == 0)
            throw new KubectlException($"error: You must specify the type of resource to {verb}. Use \"podshim {verb} pods\" or \"podshim {verb} services\"");
        if (args[0].Contains('/'))
        {
            foreach (string arg in args)
            {
                int slash = arg.IndexOf('/');
                if (slash <= 0)
                    throw new KubectlException($"error: there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'podshim {verb} resource/<resource_name>' instead of 'podshim {verb} resource resource/<resource_name>'");
                refs.Add(new ResourceRef(KindOf(arg[..slash]), @namespace, arg[(slash + 1)..]));
            }
            return (refs, SeveralKinds(refs));
        }
        string[] types = args[0].Split(',', StringSplitOptions.RemoveEmptyEntries);
        bool all = false, pods = false, services = false;
        foreach (string type in types)
        {
            if (type.Equals("all", StringComparison.OrdinalIgnoreCase))
                all = pods = services = true;
            else if (KindOf(type) == ResourceKind.Pod)
                pods = true;
            else
                services = true;
        }
        // Plain loops, no LINQ over the enum: this runs at the start of every `get`.
        foreach (ResourceKind kind in (ResourceKind[])[ResourceKind.Pod, ResourceKind.Service])
        {
            if (kind == ResourceKind.Pod ? !pods : !services)
                continue;
            if (args.Length == 1)
                refs.Add(new ResourceRef(kind, @namespace, null));
            else
                for (int i = 1; i < args.Length; i++)
                    refs.Add(new ResourceRef(kind, @namespace, args[i]));
        }
        return (refs, all || (pods && services));
    }

    private static bool SeveralKinds(List<ResourceRef> refs)
    {
        foreach (ResourceRef r in refs)
            if (r.Kind != refs[0].Kind)
                return true;
        return false;
    }
}
