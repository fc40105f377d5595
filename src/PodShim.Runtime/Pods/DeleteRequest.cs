using System.Globalization;
using PodShim.Runtime.State;

namespace PodShim.Runtime.Pods;

/// <summary>
/// `podshim delete --grace-period N` tells a running supervisor its grace through a file in the pod's
/// directory, then signals it (SIGTERM): the signal carries no data.
/// </summary>
public static class DeleteRequest
{
    private static string PathOf(PodPaths paths) => Path.Combine(paths.Directory, "delete-request");

    public static void Write(PodPaths paths, TimeSpan? grace) =>
        AtomicFile.WriteAllText(PathOf(paths), grace is { } g ? ((long)g.TotalSeconds).ToString(CultureInfo.InvariantCulture) : "");

    /// <summary>A delete was asked for (a supervisor starting up terminates the pod at once).</summary>
    public static bool Exists(PodPaths paths) => File.Exists(PathOf(paths));

    /// <summary>When the delete was asked for: the pod's deletionTimestamp.</summary>
    public static DateTimeOffset? Time(PodPaths paths) =>
        File.Exists(PathOf(paths)) ? new DateTimeOffset(File.GetLastWriteTimeUtc(PathOf(paths)), TimeSpan.Zero) : null;

    /// <summary>The grace a delete asked for; null for the pod's own (or no delete request).</summary>
    public static TimeSpan? ReadGrace(PodPaths paths)
    {
        try
        {
            string text = File.ReadAllText(PathOf(paths)).Trim();
            return long.TryParse(text, CultureInfo.InvariantCulture, out long seconds) ? TimeSpan.FromSeconds(seconds) : null;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
