using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using PodShim.Runtime.Images;
using PodShim.Runtime.Images.Import;

namespace PodShim.Cli.Commands;

/// <summary>`podshim image import FILE|DIR [--name REF] [--format F]`: adds images to &lt;root&gt;/images.</summary>
internal static class ImageImportCommand
{
    /// <summary>Below this a progress bar is not worth drawing.</summary>
    private const long ProgressThreshold = 32L << 20;

    public static Command Create()
    {
        var source = new Argument<string>("source")
        {
            Description = "An OCI archive (podman save --format oci-archive), a docker archive (docker save, podman save), "
                + "an OCI layout directory, or a root filesystem tarball or directory (needs --name)",
        };
        var name = new Option<string?>("--name") { Description = "Reference for the image (required for a rootfs; replaces the archive's names)" };
        var format = new Option<string>("--format")
        {
            Description = "auto, oci-archive, docker-archive, oci (layout directory) or rootfs",
            DefaultValueFactory = _ => "auto",
        };
        format.AcceptOnlyFromAmong("auto", "oci-archive", "docker-archive", "oci", "rootfs");
        var quiet = new Option<bool>("--quiet", "-q") { Description = "No progress bar" };
        var command = new Command("import", "Import images from a file or directory into the root's image store.") { source, name, format, quiet };
        command.SetAction(result => Run(result, result.GetValue(source)!, result.GetValue(name), result.GetValue(format)!, result.GetValue(quiet)));
        return command;
    }

    private static int Run(ParseResult result, string source, string? name, string formatText, bool quiet)
    {
        ImportFormat format = formatText switch
        {
            "oci-archive" => ImportFormat.OciArchive,
            "docker-archive" => ImportFormat.DockerArchive,
            "oci" => ImportFormat.OciLayout,
            "rootfs" => ImportFormat.Rootfs,
            _ => ImportFormat.Auto,
        };
        string root = ImageCommand.Store(result).LayoutRoots[0];
        ProgressBar? bar = quiet || Console.IsErrorRedirected ? null : new ProgressBar();
        var clock = Stopwatch.StartNew();
        try
        {
            IReadOnlyList<ImportedImage> images = ImageImporter.Import(root, source, new ImportOptions
            {
                Name = name,
                Format = format,
                Progress = bar is null ? null : bar.Report,
            });
            bar?.Clear();
            foreach (ImportedImage image in images)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"Imported {string.Join(", ", image.References)} (image {image.ImageId[7..20]}, {image.LayerCount} layer{(image.LayerCount == 1 ? "" : "s")}, {ImageCommand.HumanSize(image.Size)}) in {clock.Elapsed.TotalSeconds:0.0}s"));
            }
            return 0;
        }
        catch (Exception e) when (e is ImageImportException or InvalidDataException or IOException or UnauthorizedAccessException
                                      or PodShim.Interop.NativeException or FormatException)
        {
            bar?.Clear();
            return ImageCommand.Fail($"cannot import {source}: {e.Message}");
        }
    }

    /// <summary>One line on stderr, redrawn in place: phase, bar, percent, MiB done, rate.</summary>
    private sealed class ProgressBar
    {
        private const int Width = 30;
        private readonly Stopwatch _phaseClock = new();
        private string _phase = "";
        private bool _drawn;

        public void Report(ImportProgress p)
        {
            if (p.Total < ProgressThreshold)
                return;
            if (p.Phase != _phase)
            {
                if (_drawn)
                    Console.Error.WriteLine();
                _phase = p.Phase;
                _phaseClock.Restart();
            }
            double fraction = p.Total == 0 ? 1 : Math.Clamp((double)p.Done / p.Total, 0, 1);
            int filled = (int)(fraction * Width);
            double mib = p.Done / 1048576.0;
            double seconds = Math.Max(_phaseClock.Elapsed.TotalSeconds, 0.001);
            string line = string.Create(CultureInfo.InvariantCulture,
                $"{_phase,-24} [{new string('#', filled)}{new string('-', Width - filled)}] {fraction * 100,3:0}%  {mib,7:0.0}/{p.Total / 1048576.0:0.0} MiB  {mib / seconds,6:0.0} MiB/s");
            Console.Error.Write("\r" + line);
            _drawn = true;
        }

        public void Clear()
        {
            if (_drawn)
                Console.Error.WriteLine();
            _drawn = false;
        }
    }
}
