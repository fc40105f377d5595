using PodShim.Interop;
using PodShim.Interop.Syscalls;
using PodShim.Manifest;
using PodShim.Runtime.Containers;
using PodShim.Runtime.Lifecycle;
using PodShim.Runtime.Pods;

namespace PodShim.Runtime.Cgroups;

/// <summary>The supervisor's few cgroup steps, kept here so that the supervisor only calls them.</summary>
public static class CgroupSetup
{
    /// <summary>Event reason of the warning that limits are not enforced.</summary>
    public const string NotEnforcedReason = "ResourceLimitsNotEnforced";

    /// <summary>
    /// The pod's cgroup, or null when limits cannot be enforced here: then a Warning event says why
    /// (`run` prints it as one line on stderr), or, with <see cref="CgroupOptions.Require"/>, the pod
    /// fails with <see cref="PodRunException"/>.
    /// </summary>
    public static PodCgroup? CreatePodCgroup(Pod pod, CgroupOptions options, ISyscalls sys, IEventRecorder events) =>
        CreatePodCgroup(pod, options, sys, events, CgroupFileSystem.Instance);

    public static PodCgroup? CreatePodCgroup(Pod pod, CgroupOptions options, ISyscalls sys, IEventRecorder events, ICgroupFileSystem fs)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(events);
        CgroupHierarchy hierarchy = CgroupHierarchy.Detect(options.MountInfo, fs);
        string? why = hierarchy.Reason;
        if (hierarchy.Root is { } root)
        {
            try
            {
                return new CgroupManager(root, fs, sys, options.PodPidsLimit).CreatePod(pod);
            }
            catch (Exception e) when (e is NativeException or IOException or UnauthorizedAccessException)
            {
                why = e.Message;
            }
        }
        string message = $"resource limits are not enforced: {why}";
        if (options.Require)
            throw new PodRunException($"--require-cgroups: {message}");
        events.Record("Warning", NotEnforcedReason, message);
        return null;
    }

    /// <summary>
    /// The cgroup a killed supervisor made for this pod (recovery): attached as it is, never re-created
    /// (that would kill the containers being adopted). Null where there is none or limits are not enforced.
    /// </summary>
    public static PodCgroup? AttachPodCgroup(Pod pod, CgroupOptions options, ISyscalls sys)
    {
        ArgumentNullException.ThrowIfNull(options);
        CgroupHierarchy hierarchy = CgroupHierarchy.Detect(options.MountInfo, CgroupFileSystem.Instance);
        return hierarchy.Root is { } root
            ? new CgroupManager(root, CgroupFileSystem.Instance, sys, options.PodPidsLimit).AttachPod(pod)
            : null;
    }

    /// <summary>
    /// After an attempt ended: OOMKilled when its memory.events counted an OOM kill (the keeper reads
    /// the same file; this covers a keeper that died before it could), then its cgroup is removed.
    /// </summary>
    public static ExitRecord AfterExit(ContainerCgroup cgroup, ExitRecord exit, IEventRecorder events)
    {
        ArgumentNullException.ThrowIfNull(cgroup);
        ArgumentNullException.ThrowIfNull(exit);
        try
        {
            if (!exit.OomKilled && cgroup.OomKills() > 0)
                exit = exit with { OomKilled = true };
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        Discard(cgroup, events);
        return exit;
    }

    /// <summary>The holder's cgroup for a re-created sandbox; a failure is a Warning event (the holder then stays in the supervisor's cgroup).</summary>
    public static ContainerCgroup? TryCreateHolder(PodCgroup? pod, IEventRecorder events)
    {
        ArgumentNullException.ThrowIfNull(events);
        try
        {
            return pod?.CreateHolder();
        }
        catch (Exception e) when (e is NativeException or IOException)
        {
            events.Record("Warning", "FailedToCreateCgroup", e.Message);
            return null;
        }
    }

    /// <summary>Removes an attempt's cgroup; a failure is reported as an event, not thrown.</summary>
    public static void Discard(ContainerCgroup? cgroup, IEventRecorder events)
    {
        if (cgroup is null)
            return;
        try
        {
            cgroup.Remove();
        }
        catch (Exception e) when (e is NativeException or IOException)
        {
            events.Record("Warning", "FailedToRemoveCgroup", e.Message);
        }
    }

    /// <summary>Removes the pod's cgroup when the pod ends; a failure is reported as an event.</summary>
    public static void RemovePodCgroup(PodCgroup? cgroup, IEventRecorder events)
    {
        if (cgroup is null)
            return;
        try
        {
            cgroup.Remove();
        }
        catch (Exception e) when (e is NativeException or IOException)
        {
            events.Record("Warning", "FailedToRemoveCgroup", e.Message);
        }
    }
}
