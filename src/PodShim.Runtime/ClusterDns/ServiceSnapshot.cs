using PodShim.Runtime.Services;

namespace PodShim.Runtime.ClusterDns;

/// <summary>The Services known at one moment, indexed for DNS: by namespace and name, and by ClusterIP.</summary>
public sealed class ServiceSnapshot
{
    private readonly Dictionary<string, StoredService> _byKey;
    private readonly Dictionary<uint, StoredService> _byClusterIP;
    private readonly HashSet<string> _namespaces;

    public ServiceSnapshot(IEnumerable<StoredService> services)
    {
        _byKey = new Dictionary<string, StoredService>(StringComparer.Ordinal);
        _byClusterIP = new Dictionary<uint, StoredService>();
        _namespaces = new HashSet<string>(StringComparer.Ordinal);
        foreach (var s in services)
        {
            _byKey[Key(s.Namespace, s.Name)] = s;
            _namespaces.Add(s.Namespace);
            if (ClusterIPRange.TryParse(s.ClusterIP, out uint ip))
                _byClusterIP[ip] = s;
        }
    }

    public static ServiceSnapshot Empty { get; } = new([]);

    public int Count => _byKey.Count;

    public StoredService? Find(string @namespace, string name) =>
        _byKey.TryGetValue(Key(@namespace, name), out var s) ? s : null;

    public StoredService? FindByClusterIP(uint ip) => _byClusterIP.TryGetValue(ip, out var s) ? s : null;

    public bool HasNamespace(string @namespace) => _namespaces.Contains(@namespace);

    private static string Key(string ns, string name) => string.Concat(ns, "/", name);
}

/// <summary>
/// The live view of <c>&lt;root&gt;/services/</c> for a pod's resolver. Every writer replaces or removes
/// a file by rename or unlink, which changes the directory's mtime, so one stat per query tells whether
/// to re-read. The kernel stamps mtimes from a coarse clock (a few ms), so a change in the same tick as
/// the last read would keep the mtime: a snapshot read less than <see cref="RacyWindow"/> after the
/// mtime it saw is re-read on the next query (git's "racily clean" rule). A Service applied or deleted
/// is therefore visible to the very next query.
/// </summary>
public sealed class ServiceDirectoryView
{
    private static readonly TimeSpan RacyWindow = TimeSpan.FromMilliseconds(50);
    private readonly ServiceStore _store;
    private readonly Lock _lock = new();
    private volatile State _state = new(ServiceSnapshot.Empty, DateTime.MinValue, DateTime.MinValue, false);

    private sealed record State(ServiceSnapshot Snapshot, DateTime DirectoryMtime, DateTime ReadAt, bool Loaded);

    public ServiceDirectoryView(ServiceStore store) => _store = store;

    /// <summary>How many times the directory was read (for tests and the benchmark).</summary>
    public int Reloads { get; private set; }

    public ServiceSnapshot Current
    {
        get
        {
            State state = _state;
            DateTime mtime = DirectoryMtime();
            if (state.Loaded && mtime == state.DirectoryMtime && state.ReadAt - mtime > RacyWindow)
                return state.Snapshot;
            lock (_lock)
            {
                state = _state;
                mtime = DirectoryMtime();
                if (state.Loaded && mtime == state.DirectoryMtime && state.ReadAt - mtime > RacyWindow)
                    return state.Snapshot;
                DateTime readAt = DateTime.UtcNow;
                var snapshot = new ServiceSnapshot(_store.List());
                Reloads++;
                _state = new State(snapshot, mtime, readAt, true);
                return snapshot;
            }
        }
    }

    private DateTime DirectoryMtime()
    {
        // Directory.GetLastWriteTimeUtc gives 1601-01-01 for a missing directory: a stable value.
        return Directory.GetLastWriteTimeUtc(_store.Directory);
    }
}
