using System.Text;

namespace PodShim.Runtime.State;

/// <summary>
/// Writes files by temp file + rename, so readers never see a torn file. No fsync: these are
/// runtime state (pids, status) that means nothing after a power loss, and fsync costs milliseconds.
/// </summary>
public static class AtomicFile
{
    public static void WriteAllText(string path, string content)
    {
        string temp = $"{path}.tmp{Environment.ProcessId}";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(Encoding.UTF8.GetBytes(content));
            stream.Flush();
        }
        File.Move(temp, path, overwrite: true);
    }
}
