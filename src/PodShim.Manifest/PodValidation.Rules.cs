using static PodShim.Manifest.NameValidation;

namespace PodShim.Manifest;

public static partial class PodValidation
{
    private const string InitForbidden = "may not be set for init containers without restartPolicy=Always";
    private const string IsNegative = "must be greater than or equal to 0";
    private const string FileModeError = "must be a number between 0 and 0777 (octal), both inclusive";

    private static readonly string[] EnvFieldPaths =
        ["metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName",
         "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs"];
    private static readonly string[] VolumeFieldPaths =
        ["metadata.annotations", "metadata.labels", "metadata.name", "metadata.namespace", "metadata.uid"];
    private static readonly string[] ResourceFieldPaths =
        ["limits.cpu", "limits.ephemeral-storage", "limits.memory", "requests.cpu", "requests.ephemeral-storage", "requests.memory"];
    private static readonly string[] ConvertibleFieldLabels =
        ["metadata.annotations", "metadata.labels", "metadata.name", "metadata.namespace", "metadata.uid",
         "spec.nodeName", "spec.restartPolicy", "spec.serviceAccountName", "spec.schedulerName",
         "status.phase", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs", "spec.host"];
    private static readonly string[] CpuDivisors = ["1m", "1"];
    private static readonly string[] ByteDivisors = ["1", "1k", "1M", "1G", "1T", "1P", "1E", "1Ki", "1Mi", "1Gi", "1Ti", "1Pi", "1Ei"];

    /// <summary>ValidatePodCreate, then podshim's own limits (flagged as Forbidden with "not supported by podshim").</summary>
    private static void ValidatePod(Pod pod, ErrorList errs)
    {
        ValidateObjectMeta(pod.Metadata, errs, dnsSubdomainName: true);
        ValidatePodSpec(pod, errs);
        for (int i = 0; i < pod.Spec.Containers.Count; i++) ValidateContainerOnlyForPod(pod.Spec.Containers[i], $"spec.containers[{i}]", errs);
        for (int i = 0; i < pod.Spec.InitContainers.Count; i++) ValidateContainerOnlyForPod(pod.Spec.InitContainers[i], $"spec.initContainers[{i}]", errs);
        if (pod.Spec.EphemeralContainers.Count > 0) errs.Forbidden("spec.ephemeralContainers", "cannot be set on create");
        ValidatePodShimLimits(pod, errs);
    }

    internal static void ValidateObjectMeta(ObjectMeta meta, ErrorList errs, bool dnsSubdomainName)
    {
        Func<string, List<string>> nameFn = dnsSubdomainName ? IsDns1123Subdomain : IsDns1035Label;
        if (!string.IsNullOrEmpty(meta.GenerateName))
        {
            // NameIsDNSSubdomain(prefix=true) allows a trailing dash.
            string gen = meta.GenerateName;
            string check = gen.EndsWith('-') ? gen[..^1] + "a" : gen;
            foreach (var msg in nameFn(check)) errs.Invalid("metadata.generateName", gen, msg);
        }
        if (meta.Name.Length == 0) errs.Required("metadata.name", "name or generateName is required");
        else foreach (var msg in nameFn(meta.Name)) errs.Invalid("metadata.name", meta.Name, msg);
        if (meta.Namespace.Length == 0) errs.Required("metadata.namespace");
        else foreach (var msg in IsDns1123Label(meta.Namespace)) errs.Invalid("metadata.namespace", meta.Namespace, msg);
        ValidateLabels(meta.Labels, "metadata.labels", errs);
        long total = 0;
        foreach (var (k, v) in meta.Annotations)
        {
            foreach (var msg in IsQualifiedName(k.ToLowerInvariant())) errs.Invalid("metadata.annotations", k, msg);
            total += k.Length + v.Length;
        }
        if (total > 256 * 1024) errs.Add($"metadata.annotations: Too long: may not be more than {256 * 1024} bytes");
    }

    internal static void ValidateLabels(IReadOnlyDictionary<string, string> labels, string path, ErrorList errs)
    {
        foreach (var (k, v) in labels)
        {
            foreach (var msg in IsQualifiedName(k)) errs.Invalid(path, k, msg);
            foreach (var msg in IsValidLabelValue(v)) errs.Invalid(path, v, msg);
        }
    }

    private static void ValidatePodSpec(Pod pod, ErrorList errs)
    {
        var spec = pod.Spec;
        long grace = spec.TerminationGracePeriodSeconds;
        var volumes = ValidateVolumes(spec.Volumes, errs);
        ValidateContainers(spec, volumes, grace, errs);
        ValidateInitContainers(spec, volumes, grace, errs);
        ValidateEphemeralContainers(spec, volumes, errs);

        if (spec.HostNetwork)
        {
            for (int i = 0; i < spec.Containers.Count; i++)
            {
                var ports = spec.Containers[i].Ports;
                for (int j = 0; j < ports.Count; j++)
                {
                    if (ports[j].HostPort != ports[j].Port)
                        errs.Invalid($"spec.containers[{i}].ports[{j}].hostPort", ports[j].HostPort, "must match `containerPort` when `hostNetwork` is true");
                }
            }
        }

        switch (spec.RestartPolicy)
        {
            case "Always" or "OnFailure" or "Never": break;
            case "": errs.Required("spec.restartPolicy"); break;
            default: errs.NotSupported("spec.restartPolicy", spec.RestartPolicy, "Always", "OnFailure", "Never"); break;
        }
        switch (spec.DnsPolicy)
        {
            case "ClusterFirstWithHostNet" or "ClusterFirst" or "Default" or "None": break;
            case "": errs.Required("spec.dnsPolicy"); break;
            default: errs.NotSupported("spec.dnsPolicy", spec.DnsPolicy, "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"); break;
        }
        ValidateLabels(spec.NodeSelector, "spec.nodeSelector", errs);
        ValidatePodSecurityContext(spec, errs);
        ValidateDnsConfig(spec, errs);
        if (spec.ServiceAccountName.Length > 0)
            foreach (var msg in IsDns1123Subdomain(spec.ServiceAccountName)) errs.Invalid("spec.serviceAccountName", spec.ServiceAccountName, msg);
        if (!string.IsNullOrEmpty(spec.NodeName))
            foreach (var msg in IsDns1123Subdomain(spec.NodeName)) errs.Invalid("spec.nodeName", spec.NodeName, msg);
        if (spec.ActiveDeadlineSeconds is long ads && (ads < 1 || ads > int.MaxValue))
            errs.Invalid("spec.activeDeadlineSeconds", ads, InclusiveRangeError(1, int.MaxValue));
        if (!string.IsNullOrEmpty(spec.Hostname))
            foreach (var msg in IsDns1123Label(spec.Hostname)) errs.Invalid("spec.hostname", spec.Hostname, msg);
        if (!string.IsNullOrEmpty(spec.Subdomain))
            foreach (var msg in IsDns1123Label(spec.Subdomain)) errs.Invalid("spec.subdomain", spec.Subdomain, msg);
        for (int i = 0; i < spec.HostAliases.Count; i++)
        {
            var alias = spec.HostAliases[i];
            if (!IsValidIP(alias.Ip)) errs.Invalid($"spec.hostAliases[{i}].ip", alias.Ip, "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)");
            for (int j = 0; j < alias.Hostnames.Count; j++)
                foreach (var msg in IsDns1123Subdomain(alias.Hostnames[j])) errs.Invalid($"spec.hostAliases[{i}].hostnames[{j}]", alias.Hostnames[j], msg);
        }
        if (spec.Overhead.Count > 0)
            ValidateResourceRequirements(new ResourceRequirements { Limits = spec.Overhead }, "spec.overhead", errs);
    }

    private static void ValidateDnsConfig(PodSpec spec, ErrorList errs)
    {
        const string path = "spec.dnsConfig";
        var cfg = spec.DnsConfig;
        if (spec.DnsPolicy == "None")
        {
            if (cfg is null) { errs.Required(path, "must provide `dnsConfig` when `dnsPolicy` is None"); return; }
            if (cfg.Nameservers.Count == 0) { errs.Required(path + ".nameservers", "must provide at least one DNS nameserver when `dnsPolicy` is None"); return; }
        }
        if (cfg is null) return;
        if (cfg.Nameservers.Count > 3) errs.InvalidRaw(path + ".nameservers", GoStringSlice(cfg.Nameservers), "must not have more than 3 nameservers");
        for (int i = 0; i < cfg.Nameservers.Count; i++)
            if (!IsValidIP(cfg.Nameservers[i])) errs.Invalid($"{path}.nameservers[{i}]", cfg.Nameservers[i], "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)");
        if (cfg.Searches.Count > 32) errs.InvalidRaw(path + ".searches", GoStringSlice(cfg.Searches), "must not have more than 32 search paths");
        if (string.Join(' ', cfg.Searches).Length > 2048) errs.InvalidRaw(path + ".searches", GoStringSlice(cfg.Searches), "must not have more than 2048 characters (including spaces) in the search list");
        for (int i = 0; i < cfg.Searches.Count; i++)
        {
            string s = cfg.Searches[i];
            if (s == ".") continue;
            s = s.EndsWith('.') ? s[..^1] : s;
            foreach (var msg in IsDns1123Subdomain(s.Replace('_', 'a'))) errs.Invalid($"{path}.searches[{i}]", s, msg.Replace("lower case alphanumeric characters, '-' or '.'", "lower case alphanumeric characters, '-', '_' or '.'", StringComparison.Ordinal));
        }
        for (int i = 0; i < cfg.Options.Count; i++)
            if (cfg.Options[i].Name.Length == 0) errs.Required($"{path}.options[{i}]", "must not be empty");
    }

    private static string GoStringSlice(IEnumerable<string> items) => "[]string{" + string.Join(", ", items.Select(ErrorList.Quote)) + "}";

    // ----- volumes -----

    private static Dictionary<string, Volume> ValidateVolumes(IReadOnlyList<Volume> volumes, ErrorList errs)
    {
        var valid = new Dictionary<string, Volume>(StringComparer.Ordinal);
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < volumes.Count; i++)
        {
            var vol = volumes[i];
            string idx = $"spec.volumes[{i}]";
            var el = new ErrorList();
            ValidateVolumeSource(vol, idx, el);
            if (vol.Name.Length == 0) el.Required(idx + ".name");
            else foreach (var msg in IsDns1123Label(vol.Name)) el.Invalid(idx + ".name", vol.Name, msg);
            if (names.Contains(vol.Name)) el.Duplicate(idx + ".name", vol.Name);
            if (el.Count == 0)
            {
                names.Add(vol.Name);
                valid[vol.Name] = vol;
            }
            else
            {
                foreach (var e in el.Messages()) errs.Add(e);
            }
        }
        return valid;
    }

    private static void ValidateVolumeSource(Volume vol, string path, ErrorList errs)
    {
        int n = 0;
        if (vol.EmptyDir is { } ed)
        {
            n++;
            if (ed.SizeLimit is { } sl && sl.Sign < 0)
                errs.Forbidden(path + ".emptyDir.sizeLimit", "SizeLimit field must be a valid resource quantity");
        }
        if (vol.HostPath is { } hp)
        {
            if (n > 0) errs.Forbidden(path + ".hostPath", "may not specify more than 1 volume type");
            else
            {
                n++;
                if (hp.Path.Length == 0) errs.Required(path + ".hostPath.path");
                else
                {
                    ValidatePathNoBacksteps(hp.Path, path + ".hostPath.path", errs);
                    if (hp.Type is not ("" or "DirectoryOrCreate" or "Directory" or "FileOrCreate" or "File" or "Socket" or "CharDevice" or "BlockDevice"))
                        errs.NotSupported(path + ".hostPath.type", hp.Type, "", "BlockDevice", "CharDevice", "Directory", "DirectoryOrCreate", "File", "FileOrCreate", "Socket");
                }
            }
        }
        if (vol.DownwardAPI is { } da)
        {
            // The API server's path really says "downwarAPI" here.
            if (n > 0) errs.Forbidden(path + ".downwarAPI", "may not specify more than 1 volume type");
            else
            {
                n++;
                string dp = path + ".downwardAPI";
                if (da.DefaultMode is > 511 or < 0) errs.Invalid(dp + ".defaultMode", da.DefaultMode, FileModeError);
                foreach (var file in da.Items) ValidateDownwardAPIVolumeFile(file, dp, errs);
            }
        }
        if (vol.Projected is { } pr)
        {
            if (n > 0) errs.Forbidden(path + ".projected", "may not specify more than 1 volume type");
            else
            {
                n++;
                ValidateProjected(pr, path + ".projected", errs);
            }
        }
        if (n == 0) errs.Required(path, "must specify a volume type");
    }

    private static void ValidateProjected(ProjectedVolumeSource pr, string path, ErrorList errs)
    {
        if (pr.DefaultMode is > 511 or < 0) errs.Invalid(path + ".defaultMode", pr.DefaultMode, FileModeError);
        var allPaths = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < pr.Sources.Count; i++)
        {
            var src = pr.Sources[i];
            string sp = $"{path}.sources[{i}]";
            int n = 0;
            if (src.DownwardAPI is { } da)
            {
                n++;
                foreach (var file in da.Items)
                {
                    ValidateDownwardAPIVolumeFile(file, sp + ".downwardAPI", errs);
                    if (file.Path.Length > 0 && !allPaths.Add(file.Path)) errs.Invalid(path, file.Path, "conflicting duplicate paths");
                }
            }
            if (src.ServiceAccountToken is { } sat)
            {
                n++;
                if (sat.ExpirationSeconds < 600) errs.Invalid(sp + ".serviceAccountToken.expirationSeconds", sat.ExpirationSeconds, "may not specify a duration less than 10 minutes");
                if (sat.ExpirationSeconds > 1L << 32) errs.Invalid(sp + ".serviceAccountToken.expirationSeconds", sat.ExpirationSeconds, "may not specify a duration larger than 2^32 seconds");
                if (sat.Path.Length == 0) errs.Required(path + ".path");
                else ValidateLocalNonReservedPath(sat.Path, path + ".path", errs);
            }
            if (n > 1) errs.Forbidden(sp, "may not specify more than 1 volume type per source");
        }
    }

    private static void ValidateDownwardAPIVolumeFile(DownwardAPIVolumeFile file, string path, ErrorList errs)
    {
        if (file.Path.Length == 0) errs.Required(path + ".path");
        ValidateLocalNonReservedPath(file.Path, path + ".path", errs);
        if (file.FieldRef is { } fr)
        {
            ValidateObjectFieldSelector(fr, VolumeFieldPaths, path + ".fieldRef", errs);
            if (file.ResourceFieldRef is not null) errs.Invalid(path, "resource", "fieldRef and resourceFieldRef can not be specified simultaneously");
        }
        else if (file.ResourceFieldRef is { } rf)
        {
            ValidateResourceFieldSelector(rf, path + ".resourceFieldRef", volume: true, errs);
        }
        else
        {
            errs.Required(path, "one of fieldRef and resourceFieldRef is required");
        }
        if (file.Mode is > 511 or < 0) errs.Invalid(path + ".mode", file.Mode.Value, FileModeError);
    }

    private static void ValidatePathNoBacksteps(string target, string path, ErrorList errs)
    {
        if (target.Split('/').Contains("..")) errs.Invalid(path, target, "must not contain '..'");
    }

    private static void ValidateLocalDescendingPath(string target, string path, ErrorList errs)
    {
        if (target.StartsWith('/')) errs.Invalid(path, target, "must be a relative path");
        ValidatePathNoBacksteps(target, path, errs);
    }

    private static void ValidateLocalNonReservedPath(string target, string path, ErrorList errs)
    {
        ValidateLocalDescendingPath(target, path, errs);
        if (target.StartsWith("..", StringComparison.Ordinal) && !target.StartsWith("../", StringComparison.Ordinal))
            errs.Invalid(path, target, "must not start with '..'");
    }

    private static void ValidateObjectFieldSelector(ObjectFieldSelector fs, string[] expressions, string path, ErrorList errs)
    {
        if (fs.ApiVersion.Length == 0) { errs.Required(path + ".apiVersion"); return; }
        if (fs.FieldPath.Length == 0) { errs.Required(path + ".fieldPath"); return; }
        string label = fs.FieldPath;
        if (fs.ApiVersion != "v1")
        {
            errs.Invalid(path + ".fieldPath", label, $"error converting fieldPath: unsupported pod version: {fs.ApiVersion}");
            return;
        }
        bool subscripted = SplitMaybeSubscriptedPath(label, out string p, out string subscript);
        if (subscripted)
        {
            if (p is not ("metadata.annotations" or "metadata.labels"))
            {
                errs.Invalid(path + ".fieldPath", label, $"error converting fieldPath: field label does not support subscript: {label}");
                return;
            }
        }
        else if (!ConvertibleFieldLabels.Contains(label))
        {
            errs.Invalid(path + ".fieldPath", label, $"error converting fieldPath: field label not supported: {label}");
            return;
        }
        string internalPath = label == "spec.host" ? "spec.nodeName" : label;
        if (SplitMaybeSubscriptedPath(internalPath, out p, out subscript))
        {
            switch (p)
            {
                case "metadata.annotations":
                    foreach (var msg in IsQualifiedName(subscript.ToLowerInvariant())) errs.Invalid(path, subscript.ToLowerInvariant(), msg);
                    break;
                case "metadata.labels":
                    foreach (var msg in IsQualifiedName(subscript)) errs.Invalid(path, subscript, msg);
                    break;
                default:
                    errs.Invalid(path, p, "does not support subscript");
                    break;
            }
        }
        else if (!expressions.Contains(internalPath))
        {
            errs.NotSupported(path + ".fieldPath", internalPath, expressions);
        }
    }

    /// <summary>fieldpath.SplitMaybeSubscriptedPath: <c>metadata.labels['key']</c>.</summary>
    internal static bool SplitMaybeSubscriptedPath(string fieldPath, out string path, out string subscript)
    {
        path = fieldPath;
        subscript = "";
        if (!fieldPath.EndsWith("']", StringComparison.Ordinal)) return false;
        string s = fieldPath[..^2];
        int i = s.IndexOf("['", StringComparison.Ordinal);
        if (i <= 0) return false;
        path = s[..i];
        subscript = s[(i + 2)..];
        return true;
    }

    private static void ValidateResourceFieldSelector(ResourceFieldSelector fs, string path, bool volume, ErrorList errs)
    {
        if (volume && string.IsNullOrEmpty(fs.ContainerName)) errs.Required(path + ".containerName");
        else if (fs.Resource.Length == 0) errs.Required(path + ".resource");
        else if (!ResourceFieldPaths.Contains(fs.Resource)
                 && !fs.Resource.StartsWith("requests.hugepages-", StringComparison.Ordinal)
                 && !fs.Resource.StartsWith("limits.hugepages-", StringComparison.Ordinal))
            errs.NotSupported(path + ".resource", fs.Resource, ResourceFieldPaths);

        string divisor = fs.Divisor.ToString();
        switch (fs.Resource)
        {
            case "limits.cpu" or "requests.cpu":
                if (!CpuDivisors.Contains(divisor)) errs.Invalid(path + ".divisor", fs.Resource, "only divisor's values 1m and 1 are supported with the cpu resource");
                break;
            case "limits.memory" or "requests.memory":
                if (!ByteDivisors.Contains(divisor)) errs.Invalid(path + ".divisor", fs.Resource, "only divisor's values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei are supported with the memory resource");
                break;
            case "limits.ephemeral-storage" or "requests.ephemeral-storage":
                if (!ByteDivisors.Contains(divisor)) errs.Invalid(path + ".divisor", fs.Resource, "only divisor's values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei are supported with the local ephemeral storage resource");
                break;
        }
        if ((fs.Resource.StartsWith("requests.hugepages-", StringComparison.Ordinal) || fs.Resource.StartsWith("limits.hugepages-", StringComparison.Ordinal))
            && !ByteDivisors.Contains(divisor))
            errs.Invalid(path + ".divisor", fs.Resource, "only divisor's values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei are supported with the hugepages resource");
    }

    // ----- containers -----

    private static void ValidateContainers(PodSpec spec, Dictionary<string, Volume> volumes, long grace, ErrorList errs)
    {
        if (spec.Containers.Count == 0)
        {
            errs.Required("spec.containers");
            return;
        }
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < spec.Containers.Count; i++)
        {
            var c = spec.Containers[i];
            string path = $"spec.containers[{i}]";
            ValidateContainerCommon(c, volumes, path, errs);
            if (!names.Add(c.Name)) errs.Duplicate(path + ".name", c.Name);
            if (c.Lifecycle is not null) ValidateLifecycle(c.Lifecycle, grace, path + ".lifecycle", errs);
            ValidateProbes(c, grace, path, errs);
            if (c.RestartPolicy is not null) errs.Forbidden(path + ".restartPolicy", "may not be set for non-init containers");
        }
        CheckHostPortConflicts(spec.Containers, 0, spec.Containers.Count, "spec.containers", errs);
    }

    private static void ValidateInitContainers(PodSpec spec, Dictionary<string, Volume> volumes, long grace, ErrorList errs)
    {
        var names = new HashSet<string>(spec.Containers.Select(c => c.Name), StringComparer.Ordinal);
        for (int i = 0; i < spec.InitContainers.Count; i++)
        {
            var c = spec.InitContainers[i];
            string path = $"spec.initContainers[{i}]";
            ValidateContainerCommon(c, volumes, path, errs);
            bool restartAlways = false;
            if (c.RestartPolicy is not null)
            {
                if (c.RestartPolicy != "Always") errs.NotSupported(path + ".restartPolicy", c.RestartPolicy, "Always");
                restartAlways = c.RestartPolicy == "Always";
            }
            if (names.Contains(c.Name)) errs.Duplicate(path + ".name", c.Name);
            else if (c.Name.Length > 0) names.Add(c.Name);
            CheckHostPortConflicts(spec.InitContainers, i, i + 1, "spec.initContainers", errs);
            if (restartAlways)
            {
                if (c.Lifecycle is not null) ValidateLifecycle(c.Lifecycle, grace, path + ".lifecycle", errs);
                ValidateProbes(c, grace, path, errs);
            }
            else
            {
                if (c.Lifecycle is not null) errs.Forbidden(path + ".lifecycle", InitForbidden);
                if (c.LivenessProbe is not null) errs.Forbidden(path + ".livenessProbe", InitForbidden);
                if (c.ReadinessProbe is not null) errs.Forbidden(path + ".readinessProbe", InitForbidden);
                if (c.StartupProbe is not null) errs.Forbidden(path + ".startupProbe", InitForbidden);
            }
        }
    }

    private static void ValidateEphemeralContainers(PodSpec spec, Dictionary<string, Volume> volumes, ErrorList errs)
    {
        var others = new HashSet<string>(spec.AllContainers.Select(c => c.Name), StringComparer.Ordinal);
        var all = new HashSet<string>(others, StringComparer.Ordinal);
        for (int i = 0; i < spec.EphemeralContainers.Count; i++)
        {
            var c = spec.EphemeralContainers[i];
            string path = $"spec.ephemeralContainers[{i}]";
            ValidateContainerCommon(c, volumes, path, errs);
            ValidateContainerOnlyForPod(c, path, errs);
            if (!all.Add(c.Name)) errs.Duplicate(path + ".name", c.Name);
        }
    }

    private static void CheckHostPortConflicts(IReadOnlyList<Container> containers, int from, int to, string path, ErrorList errs)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int ci = from; ci < to; ci++)
        {
            var ports = containers[ci].Ports;
            for (int pi = 0; pi < ports.Count; pi++)
            {
                var p = ports[pi];
                if (p.HostPort == 0) continue;
                string key = $"{p.Protocol}/{p.HostIP}/{p.HostPort}";
                if (!seen.Add(key)) errs.Duplicate($"{path}[{ci}].ports[{pi}].hostPort", key);
            }
        }
    }

    private static void ValidateContainerOnlyForPod(Container c, string path, ErrorList errs)
    {
        if (c.Image.Length != c.Image.Trim().Length)
            errs.Invalid(path + ".image", c.Image, "must not have leading or trailing whitespace");
    }

    private static void ValidateContainerCommon(Container c, Dictionary<string, Volume> volumes, string path, ErrorList errs)
    {
        if (c.Name.Length == 0) errs.Required(path + ".name");
        else foreach (var msg in IsDns1123Label(c.Name)) errs.Invalid(path + ".name", c.Name, msg);
        if (c.Image.Length == 0) errs.Required(path + ".image");
        switch (c.TerminationMessagePolicy)
        {
            case "File" or "FallbackToLogsOnError": break;
            case "": errs.Required(path + ".terminationMessagePolicy"); break;
            default: errs.NotSupported(path + ".terminationMessagePolicy", c.TerminationMessagePolicy, "File", "FallbackToLogsOnError"); break;
        }
        ValidateContainerPorts(c.Ports, path + ".ports", errs);
        ValidateEnv(c.Env, path + ".env", errs);
        ValidateVolumeMounts(c, volumes, path + ".volumeMounts", errs);
        switch (c.ImagePullPolicy)
        {
            case "Always" or "IfNotPresent" or "Never": break;
            case "": errs.Required(path + ".imagePullPolicy"); break;
            default: errs.NotSupported(path + ".imagePullPolicy", c.ImagePullPolicy, "Always", "IfNotPresent", "Never"); break;
        }
        ValidateResourceRequirements(c.Resources, path + ".resources", errs);
        ValidateSecurityContext(c.SecurityContext, path + ".securityContext", errs);
    }

    private static void ValidateContainerPorts(IReadOnlyList<ContainerPort> ports, string path, ErrorList errs)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < ports.Count; i++)
        {
            var port = ports[i];
            string idx = $"{path}[{i}]";
            if (!string.IsNullOrEmpty(port.Name))
            {
                var msgs = IsValidPortName(port.Name);
                if (msgs.Count > 0) foreach (var msg in msgs) errs.Invalid(idx + ".name", port.Name, msg);
                else if (!names.Add(port.Name)) errs.Duplicate(idx + ".name", port.Name);
            }
            if (port.Port == 0) errs.Required(idx + ".containerPort");
            else foreach (var msg in IsValidPortNum(port.Port)) errs.Invalid(idx + ".containerPort", port.Port, msg);
            if (port.HostPort != 0)
                foreach (var msg in IsValidPortNum(port.HostPort)) errs.Invalid(idx + ".hostPort", port.HostPort, msg);
            if (port.Protocol.Length == 0) errs.Required(idx + ".protocol");
            else if (port.Protocol is not ("TCP" or "UDP" or "SCTP")) errs.NotSupported(idx + ".protocol", port.Protocol, "SCTP", "TCP", "UDP");
        }
    }

    private static void ValidateEnv(IReadOnlyList<EnvVar> env, string path, ErrorList errs)
    {
        for (int i = 0; i < env.Count; i++)
        {
            var ev = env[i];
            string idx = $"{path}[{i}]";
            if (ev.Name.Length == 0) errs.Required(idx + ".name");
            else foreach (var msg in IsEnvVarName(ev.Name)) errs.Invalid(idx + ".name", ev.Name, msg);
            if (ev.ValueFrom is not { } from) continue;
            string vp = idx + ".valueFrom";
            int n = 0;
            if (from.FieldRef is { } fr)
            {
                n++;
                ValidateObjectFieldSelector(fr, EnvFieldPaths, vp + ".fieldRef", errs);
            }
            if (from.ResourceFieldRef is { } rf)
            {
                n++;
                ValidateResourceFieldSelector(rf, vp + ".resourceFieldRef", volume: false, errs);
            }
            if (n == 0) errs.Invalid(vp, "", "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`");
            else if (!string.IsNullOrEmpty(ev.Value)) errs.Invalid(vp, "", "may not be specified when `value` is not empty");
            else if (n > 1) errs.Invalid(vp, "", "may not have more than one field specified at a time");
        }
    }

    private static void ValidateVolumeMounts(Container c, Dictionary<string, Volume> volumes, string path, ErrorList errs)
    {
        var mountPoints = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < c.VolumeMounts.Count; i++)
        {
            var m = c.VolumeMounts[i];
            string idx = $"{path}[{i}]";
            if (m.Name.Length == 0) errs.Required(idx + ".name");
            if (!volumes.ContainsKey(m.Name)) errs.NotFound(idx + ".name", m.Name);
            if (m.MountPath.Length == 0) errs.Required(idx + ".mountPath");
            if (!mountPoints.Add(m.MountPath)) errs.Invalid(idx + ".mountPath", m.MountPath, "must be unique");
            // Kubernetes passes the list's path here, not the element's.
            if (!string.IsNullOrEmpty(m.SubPath)) ValidateLocalDescendingPath(m.SubPath, path + ".subPath", errs);
            if (m.MountPropagation is { } mp)
            {
                if (mp is not ("Bidirectional" or "HostToContainer" or "None"))
                    errs.NotSupported(path + ".mountPropagation", mp, "Bidirectional", "HostToContainer", "None");
                if (mp == "Bidirectional" && c.SecurityContext?.Privileged != true)
                    errs.Forbidden(path + ".mountPropagation", "Bidirectional mount propagation is available only to privileged containers");
            }
        }
    }

    // ----- probes and hooks -----

    private static void ValidateProbes(Container c, long grace, string path, ErrorList errs)
    {
        if (c.LivenessProbe is { } lp)
        {
            ValidateProbe(lp, grace, path + ".livenessProbe", errs);
            if (lp.SuccessThreshold != 1) errs.Invalid(path + ".livenessProbe.successThreshold", lp.SuccessThreshold, "must be 1");
        }
        if (c.ReadinessProbe is { } rp)
        {
            ValidateProbe(rp, grace, path + ".readinessProbe", errs);
            if (rp.TerminationGracePeriodSeconds is { } tg) errs.Invalid(path + ".readinessProbe.terminationGracePeriodSeconds", tg, "must not be set for readinessProbes");
        }
        if (c.StartupProbe is { } sp)
        {
            ValidateProbe(sp, grace, path + ".startupProbe", errs);
            if (sp.SuccessThreshold != 1) errs.Invalid(path + ".startupProbe.successThreshold", sp.SuccessThreshold, "must be 1");
        }
    }

    private static void ValidateProbe(Probe p, long grace, string path, ErrorList errs)
    {
        ValidateHandler(p.Exec, p.HttpGet, p.TcpSocket, p.Grpc, null, grace, path, errs);
        if (p.InitialDelaySeconds < 0) errs.Invalid(path + ".initialDelaySeconds", p.InitialDelaySeconds, IsNegative);
        if (p.TimeoutSeconds < 0) errs.Invalid(path + ".timeoutSeconds", p.TimeoutSeconds, IsNegative);
        if (p.PeriodSeconds < 0) errs.Invalid(path + ".periodSeconds", p.PeriodSeconds, IsNegative);
        if (p.SuccessThreshold < 0) errs.Invalid(path + ".successThreshold", p.SuccessThreshold, IsNegative);
        if (p.FailureThreshold < 0) errs.Invalid(path + ".failureThreshold", p.FailureThreshold, IsNegative);
        if (p.TerminationGracePeriodSeconds is <= 0) errs.Invalid(path + ".terminationGracePeriodSeconds", p.TerminationGracePeriodSeconds.Value, "must be greater than 0");
    }

    private static void ValidateLifecycle(Lifecycle l, long grace, string path, ErrorList errs)
    {
        if (l.PostStart is { } ps) ValidateHandler(ps.Exec, ps.HttpGet, ps.TcpSocket, null, ps.Sleep, grace, path + ".postStart", errs);
        if (l.PreStop is { } pr) ValidateHandler(pr.Exec, pr.HttpGet, pr.TcpSocket, null, pr.Sleep, grace, path + ".preStop", errs);
    }

    private static void ValidateHandler(ExecAction? exec, HttpGetAction? http, TcpSocketAction? tcp, GrpcAction? grpc, SleepAction? sleep,
        long grace, string path, ErrorList errs)
    {
        int n = 0;
        if (exec is not null)
        {
            n++;
            if (exec.Command.Count == 0) errs.Required(path + ".exec.command");
        }
        if (http is not null)
        {
            if (n++ > 0) errs.Forbidden(path + ".httpGet", "may not specify more than 1 handler type");
            else
            {
                string hp = path + ".httpGet";
                if (http.Path.Length == 0) errs.Required(hp + ".path");
                ValidatePortNumOrName(http.Port, hp + ".port", errs);
                if (http.Scheme is not ("HTTP" or "HTTPS")) errs.NotSupported(hp + ".scheme", http.Scheme, "HTTP", "HTTPS");
                foreach (var h in http.HttpHeaders)
                    foreach (var msg in IsHttpHeaderName(h.Name)) errs.Invalid(hp + ".httpHeaders", h.Name, msg);
            }
        }
        if (tcp is not null)
        {
            if (n++ > 0) errs.Forbidden(path + ".tcpSocket", "may not specify more than 1 handler type");
            else ValidatePortNumOrName(tcp.Port, path + ".tcpSocket.port", errs);
        }
        if (grpc is not null)
        {
            if (n++ > 0) errs.Forbidden(path + ".grpc", "may not specify more than 1 handler type");
            else foreach (var msg in IsValidPortNum(grpc.Port)) errs.Invalid(path + ".grpc.port", grpc.Port, msg);
        }
        if (sleep is not null)
        {
            if (n++ > 0) errs.Forbidden(path + ".sleep", "may not specify more than 1 handler type");
            else if (sleep.Seconds < 0 || sleep.Seconds > grace)
                errs.Invalid(path + ".sleep", sleep.Seconds, $"must be non-negative and less than terminationGracePeriodSeconds ({grace})");
        }
        if (n == 0) errs.Required(path, "must specify a handler type");
    }

    private static void ValidatePortNumOrName(IntOrString port, string path, ErrorList errs)
    {
        if (port.StringValue is { } s)
            foreach (var msg in IsValidPortName(s)) errs.Invalid(path, s, msg);
        else
            foreach (var msg in IsValidPortNum(port.IntValue ?? 0)) errs.Invalid(path, port.IntValue ?? 0, msg);
    }

    // ----- resources -----

    internal static bool IsHugePages(string name) => name.StartsWith("hugepages-", StringComparison.Ordinal);

    private static bool IsNativeResource(string name) =>
        !name.Contains('/') || name.Contains("kubernetes.io/", StringComparison.Ordinal);

    private static bool IsOvercommitAllowed(string name) => IsNativeResource(name) && !IsHugePages(name);

    private static bool IsExtendedResourceName(string name)
    {
        if (IsNativeResource(name) || name.StartsWith("requests.", StringComparison.Ordinal)) return false;
        return IsQualifiedName("requests." + name).Count == 0;
    }

    private static readonly HashSet<string> StandardResources = new(StringComparer.Ordinal)
    {
        "cpu", "memory", "ephemeral-storage", "requests.cpu", "requests.memory", "requests.ephemeral-storage",
        "limits.cpu", "limits.memory", "limits.ephemeral-storage", "pods", "services", "replicationcontrollers",
        "resourcequotas", "secrets", "persistentvolumeclaims", "configmaps", "services.nodeports",
        "services.loadbalancers", "storage", "requests.storage",
    };

    private static void ValidateResourceName(string name, string path, ErrorList errs)
    {
        var qn = IsQualifiedName(name);
        foreach (var msg in qn) errs.InvalidRaw(path, name, msg);
        if (qn.Count > 0) return;
        if (!name.Contains('/'))
        {
            if (!StandardResources.Contains(name) && !IsHugePages(name) && !name.StartsWith("requests.hugepages-", StringComparison.Ordinal))
            {
                errs.InvalidRaw(path, name, "must be a standard resource type or fully qualified");
                return;
            }
            if (name is not ("cpu" or "memory" or "ephemeral-storage") && !IsHugePages(name))
                errs.InvalidRaw(path, name, "must be a standard resource for containers");
        }
        else if (!IsNativeResource(name) && !IsExtendedResourceName(name))
        {
            errs.InvalidRaw(path, name, "doesn't follow extended resource name standard");
        }
    }

    private static void ValidateQuantityValue(string name, Quantity q, string path, ErrorList errs)
    {
        if (q.Sign < 0) errs.Invalid(path, q.ToString(), IsNegative);
        // Extended resources are integers.
        if (IsExtendedResourceName(name) && q.MilliValue % 1000 != 0) errs.InvalidRaw(path, q.ToString(), "must be an integer");
    }

    internal static void ValidateResourceRequirements(ResourceRequirements r, string path, ErrorList errs)
    {
        bool limCpuMem = false, reqCpuMem = false, limHuge = false, reqHuge = false;
        foreach (var (name, q) in r.Limits)
        {
            string fp = $"{path}.limits[{name}]";
            ValidateResourceName(name, fp, errs);
            ValidateQuantityValue(name, q, fp, errs);
            if (IsHugePages(name)) limHuge = true;
            if (name is "cpu" or "memory") limCpuMem = true;
        }
        foreach (var (name, q) in r.Requests)
        {
            string fp = $"{path}.requests[{name}]";
            ValidateResourceName(name, fp, errs);
            ValidateQuantityValue(name, q, fp, errs);
            if (r.Limits.TryGetValue(name, out var limit))
            {
                if (q.CompareTo(limit) != 0 && !IsOvercommitAllowed(name))
                    errs.Invalid(path + ".requests", q.ToString(), $"must be equal to {name} limit of {limit}");
                else if (q.CompareTo(limit) > 0)
                    errs.Invalid(path + ".requests", q.ToString(), $"must be less than or equal to {name} limit of {limit}");
            }
            else if (!IsOvercommitAllowed(name))
            {
                errs.Required(path + ".limits", "Limit must be set for non overcommitable resources");
            }
            if (IsHugePages(name)) reqHuge = true;
            if (name is "cpu" or "memory") reqCpuMem = true;
        }
        if (!limCpuMem && !reqCpuMem && (reqHuge || limHuge))
            errs.Forbidden(path, "HugePages require cpu or memory");
    }

    // ----- security -----

    private static void ValidateSecurityContext(SecurityContext? sc, string path, ErrorList errs)
    {
        if (sc is null) return;
        if (sc.RunAsUser is { } uid)
            foreach (var msg in IsValidUserOrGroupId(uid)) errs.Invalid(path + ".runAsUser", uid, msg);
        if (sc.RunAsGroup is { } gid)
            foreach (var msg in IsValidUserOrGroupId(gid)) errs.Invalid(path + ".runAsGroup", gid, msg);
        if (sc.ProcMount is { } pm)
        {
            if (pm is not ("Default" or "Unmasked")) errs.NotSupported(path + ".procMount", pm, "Default", "Unmasked");
            else if (pm == "Unmasked") errs.Invalid(path + ".procMount", pm, "`hostUsers` must be false to use `Unmasked`");
        }
        if (sc.AllowPrivilegeEscalation == false)
        {
            if (sc.Privileged == true)
                errs.InvalidRaw(path, "core.SecurityContext{...}", "cannot set `allowPrivilegeEscalation` to false and `privileged` to true");
            if (sc.Capabilities is { } caps && caps.Add.Contains("CAP_SYS_ADMIN"))
                errs.InvalidRaw(path, "core.SecurityContext{...}", "cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN");
        }
    }

    private static readonly string[] NamespacedNetSysctlPrefixes = ["net."];
    private static readonly string[] IpcSysctls =
        ["kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced", "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem"];

    private static void ValidatePodSecurityContext(PodSpec spec, ErrorList errs)
    {
        const string path = "spec.securityContext";
        var sc = spec.SecurityContext;
        if (sc is not null)
        {
            if (sc.FsGroup is { } fs) foreach (var msg in IsValidUserOrGroupId(fs)) errs.Invalid(path + ".fsGroup", fs, msg);
            if (sc.RunAsUser is { } uid) foreach (var msg in IsValidUserOrGroupId(uid)) errs.Invalid(path + ".runAsUser", uid, msg);
            if (sc.RunAsGroup is { } gid) foreach (var msg in IsValidUserOrGroupId(gid)) errs.Invalid(path + ".runAsGroup", gid, msg);
            for (int i = 0; i < sc.SupplementalGroups.Count; i++)
                foreach (var msg in IsValidUserOrGroupId(sc.SupplementalGroups[i])) errs.Invalid($"{path}.supplementalGroups[{i}]", sc.SupplementalGroups[i], msg);
        }
        if (spec.HostPID && spec.ShareProcessNamespace)
            errs.Invalid("spec.shareProcessNamespace", true, "ShareProcessNamespace and HostPID cannot both be enabled");
        if (sc is null) return;
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < sc.Sysctls.Count; i++)
        {
            var s = sc.Sysctls[i];
            string np = $"{path}.sysctls[{i}].name";
            if (s.Name.Length == 0) errs.Required(np);
            else if (!IsValidSysctlName(s.Name))
                errs.Invalid(np, s.Name, $"must have at most 253 characters and match regex ^{SysctlContainSlashFmt}$");
            else if (names.Contains(s.Name)) errs.Duplicate(np, s.Name);
            string normalized = s.Name.Replace('/', '.');
            if (spec.HostNetwork && NamespacedNetSysctlPrefixes.Any(p => normalized.StartsWith(p, StringComparison.Ordinal)))
                errs.Invalid(np, s.Name, "may not be specified when 'hostNetwork' is true");
            if (spec.HostIPC && (IpcSysctls.Contains(normalized) || normalized.StartsWith("fs.mqueue.", StringComparison.Ordinal)))
                errs.Invalid(np, s.Name, "may not be specified when 'hostIPC' is true");
            names.Add(s.Name);
        }
        if (sc.FsGroupChangePolicy is { } fgcp && fgcp is not ("OnRootMismatch" or "Always"))
            errs.NotSupported(path + ".fsGroupChangePolicy", fgcp, "Always", "OnRootMismatch");
    }

    // ----- podshim's own limits (what a single host cannot honour yet) -----

    private static void ValidatePodShimLimits(Pod pod, ErrorList errs)
    {
        var spec = pod.Spec;
        void PerContainer(IReadOnlyList<Container> list, string prefix)
        {
            for (int i = 0; i < list.Count; i++)
            {
                var c = list[i];
                string path = $"{prefix}[{i}]";
                if (c.Tty) errs.Forbidden(path + ".tty", "not supported by podshim yet (no terminal is allocated)");
                for (int j = 0; j < c.VolumeMounts.Count; j++)
                {
                    var m = c.VolumeMounts[j];
                    if (m.MountPath.Length > 0 && !m.MountPath.StartsWith('/'))
                        errs.Invalid($"{path}.volumeMounts[{j}].mountPath", m.MountPath, "must be an absolute path");
                }
                foreach (var (probe, name) in new[] { (c.LivenessProbe, "livenessProbe"), (c.ReadinessProbe, "readinessProbe"), (c.StartupProbe, "startupProbe") })
                {
                    if (probe is null) continue;
                    var port = probe.HttpGet?.Port ?? probe.TcpSocket?.Port;
                    string handler = probe.HttpGet is not null ? "httpGet" : "tcpSocket";
                    if (port?.StringValue is { } portName && IsValidPortName(portName).Count == 0
                        && !c.Ports.Any(p => p.Name == portName))
                        errs.Invalid($"{path}.{name}.{handler}.port", portName, "must be the name of a port of this container");
                }
            }
        }
        PerContainer(spec.InitContainers, "spec.initContainers");
        PerContainer(spec.Containers, "spec.containers");
        for (int i = 0; i < spec.Volumes.Count; i++)
        {
            if (spec.Volumes[i].EmptyDir is { } ed && ed.Medium is not ("" or "Memory"))
                errs.NotSupported($"spec.volumes[{i}].emptyDir.medium", ed.Medium, "", "Memory");
        }
    }
}
