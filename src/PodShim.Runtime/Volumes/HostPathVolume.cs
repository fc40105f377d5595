namespace PodShim.Runtime.Volumes;

/// <summary>A volume could not be set up: the pod waits (kubelet's FailedMount) until it can.</summary>
public sealed class VolumeSetupException(string volume, string message)
    : Exception($"MountVolume.SetUp failed for volume \"{volume}\" : {message}")
{
    public string Volume { get; } = volume;
}

/// <summary>hostPath's <c>type</c> checks, as the kubelet's hostPath plugin makes them before a mount.</summary>
public static class HostPathVolume
{
    /// <summary>Checks (and for the *OrCreate types creates) the path; throws <see cref="VolumeSetupException"/> with the kubelet's message.</summary>
    public static void Check(string volume, string path, string type)
    {
        string? failure = type switch
        {
            "" => null,
            "DirectoryOrCreate" => Exists(path) ? DirectoryCheck(path) : MakeDirectory(path),
            "Directory" => DirectoryCheck(path),
            "FileOrCreate" => Exists(path) ? FileCheck(path) : MakeFile(path),
            "File" => FileCheck(path),
            "Socket" => Is(path, UnixFileTypes.Socket) ? null : $"hostPath type check failed: {path} is not a socket file",
            "CharDevice" => Is(path, UnixFileTypes.CharDevice) ? null : $"hostPath type check failed: {path} is not a character device",
            "BlockDevice" => Is(path, UnixFileTypes.BlockDevice) ? null : $"hostPath type check failed: {path} is not a block device",
            _ => $"{type} is an invalid volume type",
        };
        if (failure is not null)
            throw new VolumeSetupException(volume, failure);
    }

    private static bool Exists(string path) => StatType(path) is not null;

    private static string? DirectoryCheck(string path) => Is(path, UnixFileTypes.Directory) ? null : $"hostPath type check failed: {path} is not a directory";

    private static string? FileCheck(string path) => Is(path, UnixFileTypes.Regular) ? null : $"hostPath type check failed: {path} is not a file";

    private static string? MakeDirectory(string path)
    {
        try
        {
            Directory.CreateDirectory(path, (UnixFileMode)0b111_101_101);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return e.Message;
        }
    }

    /// <summary>Like the kubelet, the file is created but not its parent directory.</summary>
    private static string? MakeFile(string path)
    {
        try
        {
            using var _ = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.OpenOrCreate,
                Access = FileAccess.Write,
                UnixCreateMode = (UnixFileMode)0b110_100_100,
            });
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"open {path}: {e.Message}";
        }
    }

    private static bool Is(string path, uint type) => StatType(path) == type;

    /// <summary>The file type of what the path leads to (symlinks followed, as os.Stat does), or null if nothing.</summary>
    internal static uint? StatType(string path) => PodShim.Interop.BeneathDirectory.StatPath(path, follow: true)?.Type;
}

/// <summary>S_IF* file types.</summary>
internal static class UnixFileTypes
{
    public const uint Fifo = 0x1000, CharDevice = 0x2000, Directory = 0x4000, BlockDevice = 0x6000, Regular = 0x8000, Symlink = 0xA000, Socket = 0xC000;
}
