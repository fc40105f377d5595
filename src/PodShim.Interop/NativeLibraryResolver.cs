using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace PodShim.Interop;

/// <summary>
/// Finds libpodshim.so: beside the running binary (bin/), or in the bin/ of the repository
/// when running from a build output directory (tests, benchmarks). PODSHIM_BIN overrides.
/// </summary>
public static class NativeLibraryResolver
{
    private static string? s_binDirectory;

#pragma warning disable CA2255 // a library must register its own resolver before its first P/Invoke
    [ModuleInitializer]
    internal static void Register() =>
        NativeLibrary.SetDllImportResolver(typeof(NativeLibraryResolver).Assembly, Resolve);
#pragma warning restore CA2255

    /// <summary>The directory holding podshim's native binaries (libpodshim.so, podshim-pause, podshim-keeper).</summary>
    public static string BinDirectory => s_binDirectory ??= FindBinDirectory();

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name != Interop.Libraries.PodShim)
            return IntPtr.Zero;
        return NativeLibrary.Load(Path.Combine(BinDirectory, "libpodshim.so"));
    }

    private static string FindBinDirectory()
    {
        string? fromEnv = Environment.GetEnvironmentVariable("PODSHIM_BIN");
        if (!string.IsNullOrEmpty(fromEnv))
            return Path.GetFullPath(fromEnv);
        string baseDir = AppContext.BaseDirectory;
        if (File.Exists(Path.Combine(baseDir, "libpodshim.so")))
            return baseDir;
        for (DirectoryInfo? dir = new(baseDir); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "bin");
            if (File.Exists(Path.Combine(candidate, "libpodshim.so")) && File.Exists(Path.Combine(dir.FullName, "Shim.sln")))
                return candidate;
        }
        throw new DllNotFoundException($"libpodshim.so not found beside {baseDir} or in a bin/ above it; run ./build.sh or set PODSHIM_BIN");
    }
}
