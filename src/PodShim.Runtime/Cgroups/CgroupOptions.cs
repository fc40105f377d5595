namespace PodShim.Runtime.Cgroups;

/// <summary>How a pod's resources are enforced.</summary>
public sealed record CgroupOptions
{
    public static readonly CgroupOptions Default = new();

    /// <summary>Fail the pod when limits cannot be enforced (`run --require-cgroups`), instead of a warning.</summary>
    public bool Require { get; init; }

    /// <summary>The pod cgroup's pids.max (`run --pod-pids-limit`).</summary>
    public long PodPidsLimit { get; init; } = CgroupSettings.DefaultPodPidsLimit;

    /// <summary>Where the mounts are read from to find the cgroup2 hierarchy.</summary>
    public string MountInfo { get; init; } = "/proc/self/mountinfo";
}
