using PodShim.Manifest;
using PodShim.Runtime.State;

namespace PodShim.Runtime.Volumes;

/// <summary>
/// The kubelet eviction manager's local-storage check for one pod: every monitoring period
/// (10 s) the disk usage of each emptyDir with a sizeLimit is measured, and the first one over
/// its limit evicts the pod with the kubelet's message.
/// </summary>
public sealed class EmptyDirMonitor : IDisposable
{
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(10);

    private readonly List<(string Name, string Directory, Quantity Limit)> _volumes = new();
    private readonly Action<string> _evict;
    private readonly ITimer? _timer;
    private int _evicted;

    public EmptyDirMonitor(Pod pod, PodPaths paths, TimeProvider time, Action<string> evict)
    {
        _evict = evict;
        foreach (Volume v in pod.Spec.Volumes)
        {
            if (v.EmptyDir is { Medium: not "Memory", SizeLimit: { } limit } && limit.Sign > 0)
                _volumes.Add((v.Name, paths.Volume(v.Name), limit));
        }
        if (_volumes.Count > 0)
            _timer = time.CreateTimer(_ => Check(), null, Period, Period);
    }

    public bool Active => _timer is not null;

    /// <summary>kubelet's emptyDirMessageFmt, trailing space included.</summary>
    public static string Message(string volume, Quantity limit) => $"Usage of EmptyDir volume \"{volume}\" exceeds the limit \"{limit}\". ";

    /// <summary>One check (the timer's work; also called directly by tests).</summary>
    public void Check()
    {
        if (Volatile.Read(ref _evicted) != 0)
            return;
        foreach (var (name, dir, limit) in _volumes)
        {
            long used;
            try
            {
                used = EmptyDirVolume.DiskUsage(dir);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or PodShim.Interop.NativeException)
            {
                continue;
            }
            if (used > limit.Value && Interlocked.Exchange(ref _evicted, 1) == 0)
            {
                _evict(Message(name, limit));
                return;
            }
        }
    }

    public void Dispose() => _timer?.Dispose();
}
