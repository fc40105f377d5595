using System.Diagnostics;
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

    /// <summary>Compiles bench/c/<paramref name="source"/> into <paramref name="directory"/>; returns the program's path.</summary>
    public static string CompileC(string source, string directory, string flags = "")
    {
        string exe = Path.Combine(directory, Path.GetFileNameWithoutExtension(source));
        RunToEnd("gcc", $"-O2 -Wall {flags} -o \"{exe}\" \"{FindCSource(source)}\"");
        return exe;
    }

    /// <summary>Runs a program to its end and returns its standard output; a failure throws.</summary>
    public static string RunToEnd(string file, string arguments)
    {
        using var p = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true })!;
        string output = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(300_000))
        {
            p.Kill();
            throw new TimeoutException(file);
        }
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{file} {arguments}: exit {p.ExitCode}");
        return output;
    }

    private static string FindCSource(string name)
    {
        for (string? d = AppContext.BaseDirectory; d is not null; d = Path.GetDirectoryName(d))
        {
            string candidate = Path.Combine(d, "bench", "c", name);
            if (File.Exists(candidate))
                return candidate;
        }
        string cwd = Path.Combine(Directory.GetCurrentDirectory(), "bench", "c", name);
        return File.Exists(cwd) ? cwd : throw new FileNotFoundException($"bench/c/{name}");
    }
}
