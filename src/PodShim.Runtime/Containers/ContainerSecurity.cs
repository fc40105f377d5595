namespace PodShim.Runtime.Containers;

/// <summary>Runtime security defaults, as containerd/runc apply them to Kubernetes containers.</summary>
public static class ContainerSecurity
{
    private static readonly string[] s_capabilityNames =
    [
        "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP",
        "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER",
        "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE",
        "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP",
        "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF",
        "CHECKPOINT_RESTORE",
    ];

    /// <summary>The 14 capabilities a default container gets.</summary>
    public static readonly IReadOnlyList<string> DefaultCapabilities =
    [
        "CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID", "SETUID", "SETFCAP", "SETPCAP",
        "NET_BIND_SERVICE", "SYS_CHROOT", "KILL", "AUDIT_WRITE",
    ];

    public static readonly IReadOnlyList<string> MaskedPaths =
    [
        "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
        "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
    ];

    public static readonly IReadOnlyList<string> ReadonlyPaths =
        ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

    public static ulong DefaultMask => Mask(DefaultCapabilities);

    /// <summary>Every capability this kernel knows.</summary>
    public static ulong AllMask
    {
        get
        {
            int last = s_capabilityNames.Length - 1;
            try
            {
                last = int.Parse(File.ReadAllText("/proc/sys/kernel/cap_last_cap").Trim(), System.Globalization.CultureInfo.InvariantCulture);
            }
            catch (IOException)
            {
            }
            return last >= 63 ? ulong.MaxValue : (1UL << (last + 1)) - 1;
        }
    }

    /// <summary>Bit number of a capability name, with or without the CAP_ prefix; -1 if unknown.</summary>
    public static int Number(string name)
    {
        string n = name.ToUpperInvariant();
        if (n.StartsWith("CAP_", StringComparison.Ordinal))
            n = n[4..];
        return Array.IndexOf(s_capabilityNames, n);
    }

    public static ulong Mask(IEnumerable<string> names)
    {
        ulong mask = 0;
        foreach (string name in names)
        {
            int bit = Number(name);
            if (bit < 0)
                throw new ContainerConfigException($"unknown capability \"{name}\"");
            mask |= 1UL << bit;
        }
        return mask;
    }

    /// <summary>The bounding set for a container: default, or all when privileged, then add and drop ("ALL" allowed in both).</summary>
    public static ulong Effective(bool privileged, IReadOnlyList<string> add, IReadOnlyList<string> drop)
    {
        if (privileged)
            return AllMask;
        // containerd's order: add ALL, drop ALL, then single adds, then single drops
        // (so "drop ALL, add NET_BIND_SERVICE" keeps the one added).
        static bool IsAll(string n) => n.Equals("ALL", StringComparison.OrdinalIgnoreCase);
        ulong mask = DefaultMask;
        if (add.Any(IsAll))
            mask = AllMask;
        if (drop.Any(IsAll))
            mask = 0;
        mask |= Mask(add.Where(n => !IsAll(n)));
        mask &= ~Mask(drop.Where(n => !IsAll(n)));
        return mask;
    }
}

/// <summary>A container whose configuration cannot be turned into a process (kubelet: CreateContainerConfigError).</summary>
public sealed class ContainerConfigException(string message) : Exception(message);
