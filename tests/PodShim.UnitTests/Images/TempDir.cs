using System.Runtime.Versioning;
namespace PodShim.UnitTests.Images;

/// <summary>A temporary directory removed (even if read-only inside) on Dispose.</summary>
[SupportedOSPlatform("linux")]
internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = Directory.CreateTempSubdirectory("podshim-images-test-").FullName;
    }

    public string Path { get; }

    public string Sub(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        if (!Directory.Exists(Path))
            return;
        MakeWritable(Path);
        Directory.Delete(Path, recursive: true);
    }

    private static void MakeWritable(string dir)
    {
        File.SetUnixFileMode(dir, (UnixFileMode)0b111_000_000 | File.GetUnixFileMode(dir));
        foreach (var sub in new DirectoryInfo(dir).EnumerateDirectories())
        {
            if (sub.LinkTarget is null)
                MakeWritable(sub.FullName);
        }
    }
}
