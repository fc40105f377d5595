using PodShim.Interop;

namespace PodShim.Bench;

/// <summary>What every benchmark needs from the machine: root, the built CLI, a work directory of its own.</summary>
internal static class BenchEnvironment
{
    /// <summary>bin/podshim as a user runs it.</summary>
    public static string Podshim => Path.Combine(NativeLibraryResolver.BinDirectory, "podshim");

    /// <summary>False (after saying why on stderr) when not root.</summary>
    public static bool RequireRoot(string why)
    {
        if (Posix.IsRoot)
            return true;
        Console.Error.WriteLine($"bench: needs root ({why})");
        return false;
    }

    /// <summary>A path under the temp directory named for the benchmark and this process (not created).</summary>
    public static string WorkPath(string name) => Path.Combine(Path.GetTempPath(), $"podshim-{name}-{Environment.ProcessId}");
}
