using System.Globalization;
using PodShim.Interop;
using PodShim.Manifest;
using PodShim.Runtime.Images;

namespace PodShim.Runtime.Containers;

/// <summary>The process a container attempt runs: command, environment, identity and privileges.</summary>
public sealed record ContainerLaunch
{
    public required IReadOnlyList<string> Argv { get; init; }
    public required IReadOnlyList<string> Env { get; init; }
    public required string WorkingDirectory { get; init; }
    public ProcessIdentity Identity { get; init; } = new();
    public bool ReadonlyRootfs { get; init; }
    public bool Privileged { get; init; }
}

/// <summary>Turns a pod's container and its image into a <see cref="ContainerLaunch"/> as kubelet and containerd do.</summary>
public static class ContainerPlanner
{
    public const string DefaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    public static ContainerLaunch Plan(Pod pod, Container container, ImageConfig image, string hostname,
        Func<string, string?>? readImageFile = null, DownwardContext? downward = null)
    {
        // kubelet resolves the container's env (downward API, $(VAR)) and expands command and
        // args with it alone, never with the image's env.
        IReadOnlyList<KeyValuePair<string, string>> containerEnv =
            EnvExpansion.Resolve(pod, container, downward ?? new DownwardContext { NodeName = Environment.MachineName });
        IReadOnlyList<string> env = BuildEnv(image, hostname, containerEnv);

        // command replaces ENTRYPOINT and drops CMD; args alone replace CMD.
        IReadOnlyList<string> argv;
        if (container.Command is { Count: > 0 } command)
            argv = [.. EnvExpansion.ExpandCommand(command, containerEnv)!, .. EnvExpansion.ExpandCommand(container.Args, containerEnv) ?? []];
        else if (container.Args is { Count: > 0 } args)
            argv = [.. image.Entrypoint, .. EnvExpansion.ExpandCommand(args, containerEnv)!];
        else
            argv = [.. image.Entrypoint, .. image.Cmd];
        if (argv.Count == 0)
            throw new ContainerConfigException("no command specified");

        SecurityContext? sc = container.SecurityContext;
        PodSecurityContext? psc = pod.Spec.SecurityContext;
        bool privileged = sc?.Privileged == true;
        (uint uid, uint gid, string? userName) = ResolveUser(sc?.RunAsUser ?? psc?.RunAsUser, sc?.RunAsGroup ?? psc?.RunAsGroup, image.User, readImageFile);
        if ((sc?.RunAsNonRoot ?? psc?.RunAsNonRoot) == true && uid == 0)
            throw new ContainerConfigException("container has runAsNonRoot and image will run as root");

        var groups = new List<uint>();
        if (userName is not null && readImageFile?.Invoke("/etc/group") is { } groupFile)
            groups.AddRange(GroupsOf(userName, groupFile));
        if (psc is not null)
        {
            groups.AddRange(psc.SupplementalGroups.Select(g => (uint)g));
            if (psc.FsGroup is long fsGroup)
                groups.Add((uint)fsGroup);
        }

        return new ContainerLaunch
        {
            Argv = argv,
            Env = env,
            WorkingDirectory = !string.IsNullOrEmpty(container.WorkingDir) ? container.WorkingDir
                : !string.IsNullOrEmpty(image.WorkingDir) ? image.WorkingDir : "/",
            Identity = new ProcessIdentity
            {
                Uid = uid,
                Gid = gid,
                SupplementalGroups = groups.Distinct().Where(g => g != gid).ToArray(),
                CapabilityBoundingSet = ContainerSecurity.Effective(privileged, sc?.Capabilities?.Add ?? [], sc?.Capabilities?.Drop ?? []),
                NoNewPrivileges = sc?.AllowPrivilegeEscalation == false && !privileged,
            },
            ReadonlyRootfs = sc?.ReadOnlyRootFilesystem == true,
            Privileged = privileged,
        };
    }

    /// <summary>
    /// The process environment as containerd builds it: the image's (with a default PATH), then
    /// HOSTNAME, then the container's; a later entry replaces an earlier one of the same name in place.
    /// </summary>
    private static IReadOnlyList<string> BuildEnv(ImageConfig image, string hostname, IReadOnlyList<KeyValuePair<string, string>> containerEnv)
    {
        var names = new List<string>();
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        void Set(string name, string value)
        {
            if (!values.ContainsKey(name))
                names.Add(name);
            values[name] = value;
        }
        if (!image.Env.Any(e => e.StartsWith("PATH=", StringComparison.Ordinal)))
            Set("PATH", DefaultPath[5..]);
        foreach (string entry in image.Env)
        {
            int eq = entry.IndexOf('=');
            if (eq > 0)
                Set(entry[..eq], entry[(eq + 1)..]);
        }
        Set("HOSTNAME", hostname);
        foreach (var (name, value) in containerEnv)
            Set(name, value);
        return names.Select(n => $"{n}={values[n]}").ToArray();
    }

    /// <summary>uid/gid from securityContext, else the image's User ("name", "uid", "uid:gid", "name:group"), else root.</summary>
    internal static (uint Uid, uint Gid, string? UserName) ResolveUser(long? runAsUser, long? runAsGroup, string imageUser, Func<string, string?>? readImageFile)
    {
        string? passwd = readImageFile?.Invoke("/etc/passwd");
        uint uid = 0, gid = 0;
        string? name = "root";
        string? imageGroup = null;
        if (runAsUser is long ru)
        {
            uid = (uint)ru;
            name = LookupById(passwd, uid, out uint pg) is { } n ? n : null;
            gid = name is not null ? pg : 0;
        }
        else if (!string.IsNullOrEmpty(imageUser))
        {
            string[] parts = imageUser.Split(':', 2);
            imageGroup = parts.Length > 1 ? parts[1] : null;
            if (uint.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out uid))
            {
                name = LookupById(passwd, uid, out uint pg);
                gid = name is not null ? pg : 0;
            }
            else
            {
                name = parts[0];
                (uid, gid) = LookupByName(passwd, name) ?? throw new ContainerConfigException($"unable to find user {name}: no matching entries in passwd file");
            }
        }
        if (imageGroup is not null && runAsGroup is null)
        {
            if (!uint.TryParse(imageGroup, NumberStyles.None, CultureInfo.InvariantCulture, out gid))
                gid = LookupGroup(readImageFile?.Invoke("/etc/group"), imageGroup) ?? throw new ContainerConfigException($"unable to find group {imageGroup}: no matching entries in group file");
        }
        if (runAsGroup is long rg)
            gid = (uint)rg;
        return (uid, gid, name);
    }

    private static IEnumerable<string[]> Entries(string? file) =>
        (file ?? "").Split('\n').Select(l => l.Split(':')).Where(f => f.Length >= 4);

    private static string? LookupById(string? passwd, uint uid, out uint gid)
    {
        foreach (string[] f in Entries(passwd))
            if (uint.TryParse(f[2], CultureInfo.InvariantCulture, out uint u) && u == uid && uint.TryParse(f[3], CultureInfo.InvariantCulture, out gid))
                return f[0];
        gid = 0;
        return null;
    }

    private static (uint, uint)? LookupByName(string? passwd, string name)
    {
        foreach (string[] f in Entries(passwd))
            if (f[0] == name && uint.TryParse(f[2], CultureInfo.InvariantCulture, out uint u) && uint.TryParse(f[3], CultureInfo.InvariantCulture, out uint g))
                return (u, g);
        return null;
    }

    private static uint? LookupGroup(string? groupFile, string name)
    {
        foreach (string[] f in (groupFile ?? "").Split('\n').Select(l => l.Split(':')).Where(f => f.Length >= 3))
            if (f[0] == name && uint.TryParse(f[2], CultureInfo.InvariantCulture, out uint g))
                return g;
        return null;
    }

    private static IEnumerable<uint> GroupsOf(string user, string groupFile)
    {
        foreach (string[] f in groupFile.Split('\n').Select(l => l.Split(':')).Where(f => f.Length >= 4))
            if (f[3].Split(',').Contains(user) && uint.TryParse(f[2], CultureInfo.InvariantCulture, out uint g))
                yield return g;
    }
}
