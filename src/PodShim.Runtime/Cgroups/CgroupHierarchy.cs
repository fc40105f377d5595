namespace PodShim.Runtime.Cgroups;

/// <summary>Whether limits can be enforced here: the cgroup2 mount to use, or why there is none.</summary>
public sealed record CgroupHierarchy(string? Root, string? Reason)
{
    /// <summary>The controllers the pod and container limits need.</summary>
    public static readonly IReadOnlyList<string> RequiredControllers = ["cpu", "memory", "pids"];

    public bool Usable => Root is not null;

    /// <summary>
    /// Finds a usable cgroup v2 hierarchy: a read-write cgroup2 mount (from <paramref name="mountInfoPath"/>,
    /// normally /proc/self/mountinfo) whose cgroup.controllers offers cpu, memory and pids. On a hybrid
    /// host the cgroup2 mount exists but has no controllers: they are bound to the v1 hierarchies.
    /// Only reads: nothing is written here.
    /// </summary>
    public static CgroupHierarchy Detect(string mountInfoPath, ICgroupFileSystem fs)
    {
        ArgumentNullException.ThrowIfNull(fs);
        string? text = fs.ReadText(mountInfoPath);
        if (text is null)
            return new CgroupHierarchy(null, $"cannot read {mountInfoPath}");
        var mounts = CgroupMounts(text);
        if (mounts.Count == 0)
            return new CgroupHierarchy(null, "no cgroup2 filesystem is mounted (a cgroup v1 host)");
        string? firstReason = null;
        // /sys/fs/cgroup first: that is where a pure v2 host has it.
        var ordered = new List<(string MountPoint, bool ReadOnly)>(mounts.Count);
        foreach (bool atUsualPlace in (ReadOnlySpan<bool>)[true, false])
            foreach ((string MountPoint, bool ReadOnly) m in mounts)
                if ((m.MountPoint == "/sys/fs/cgroup") == atUsualPlace)
                    ordered.Add(m);
        foreach ((string mountPoint, bool readOnly) in ordered)
        {
            string? reason = Check(mountPoint, readOnly, fs);
            if (reason is null)
                return new CgroupHierarchy(mountPoint, null);
            firstReason ??= reason;
        }
        return new CgroupHierarchy(null, firstReason);
    }

    /// <summary>The reason a hierarchy is not usable, or null.</summary>
    public static string? Check(string mountPoint, bool readOnly, ICgroupFileSystem fs)
    {
        ArgumentNullException.ThrowIfNull(fs);
        if (readOnly)
            return $"the cgroup2 hierarchy at {mountPoint} is mounted read-only";
        string? controllers = fs.ReadText(Path.Combine(mountPoint, "cgroup.controllers"));
        if (controllers is null)
            return $"cannot read {Path.Combine(mountPoint, "cgroup.controllers")}";
        var present = controllers.Split((char[])[' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
        var missing = RequiredControllers.Where(c => !present.Contains(c, StringComparer.Ordinal)).ToList();
        if (missing.Count == 0)
            return null;
        string hint = missing.Count == RequiredControllers.Count ? " (a hybrid host: they are bound to cgroup v1)" : "";
        return $"the cgroup2 hierarchy at {mountPoint} has no {string.Join(", ", missing)} controller{(missing.Count > 1 ? "s" : "")}{hint}";
    }

    /// <summary>cgroup2 mount points in a mountinfo text, with whether each is read-only.</summary>
    public static IReadOnlyList<(string MountPoint, bool ReadOnly)> CgroupMounts(string mountInfo)
    {
        ArgumentNullException.ThrowIfNull(mountInfo);
        var result = new List<(string, bool)>();
        foreach (string line in mountInfo.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            // id parent major:minor root mountpoint options [optional...] - fstype source superoptions
            string[] f = line.Split(' ');
            int dash = Array.IndexOf(f, "-");
            if (dash < 6 || dash + 1 >= f.Length || f[dash + 1] != "cgroup2")
                continue;
            bool readOnly = f[5].Split(',').Contains("ro", StringComparer.Ordinal);
            result.Add((Unescape(f[4]), readOnly));
        }
        return result;
    }

    /// <summary>mountinfo writes space, tab, newline and backslash as \ooo.</summary>
    private static string Unescape(string s)
    {
        if (!s.Contains('\\'))
            return s;
        var sb = new System.Text.StringBuilder(s.Length);
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == '\\' && IsOctal(s, i + 1))
            {
                sb.Append((char)Convert.ToInt32(s.Substring(i + 1, 3), 8));
                i += 3;
            }
            else
                sb.Append(s[i]);
        }
        return sb.ToString();
    }

    private static bool IsOctal(string s, int at) =>
        at + 3 <= s.Length && s[at] is >= '0' and <= '7' && s[at + 1] is >= '0' and <= '7' && s[at + 2] is >= '0' and <= '7';
}
