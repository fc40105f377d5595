using System.CommandLine;
using PodShim.Runtime.Images;

namespace PodShim.Cli.Commands;

/// <summary>`podshim image import|ls|rm|inspect`: the image store of a root (plus the bundled images).</summary>
internal static class ImageCommand
{
    public static Command Create()
    {
        var command = new Command("image", "Manage images: import them from files, list, inspect, remove. There is no registry access.");
        command.Subcommands.Add(ImageImportCommand.Create());
        command.Subcommands.Add(ImageListCommand.Create());
        command.Subcommands.Add(ImageRemoveCommand.Create());
        command.Subcommands.Add(ImageInspectCommand.Create());
        return command;
    }

    /// <summary>The store `run` resolves images from: &lt;root&gt;/images, then the bundled images.</summary>
    public static ImageStore Store(ParseResult result) => ImageStore.ForRoot(GlobalOptions.Layout(result).Root);

    /// <summary>Sizes as crictl prints them (decimal units, 3 significant digits): 2.02MB, 143MB.</summary>
    public static string HumanSize(long bytes)
    {
        string[] units = ["B", "kB", "MB", "GB", "TB", "PB"];
        double size = bytes;
        int unit = 0;
        while (size >= 1000 && unit < units.Length - 1)
        {
            size /= 1000;
            unit++;
        }
        return size.ToString("G3", System.Globalization.CultureInfo.InvariantCulture) + units[unit];
    }

    public static int Fail(string message)
    {
        Console.Error.WriteLine(message.StartsWith("Error", StringComparison.Ordinal) ? message : "Error: " + message);
        return 1;
    }
}
