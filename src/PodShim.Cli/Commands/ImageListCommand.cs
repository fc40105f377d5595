using System.CommandLine;
using PodShim.Runtime.Images;

namespace PodShim.Cli.Commands;

/// <summary>`podshim image ls`: the images `run` can use, in crictl's columns (IMAGE TAG IMAGE ID SIZE).</summary>
internal static class ImageListCommand
{
    public static Command Create()
    {
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Only the image IDs" };
        var command = new Command("ls", "List the images of the root's store and the bundled images.") { quiet };
        command.Aliases.Add("list");
        command.SetAction(result => Run(result, result.GetValue(quiet)));
        return command;
    }

    private static int Run(ParseResult result, bool quiet)
    {
        IReadOnlyList<ImageSummary> images;
        try
        {
            images = ImageCatalog.List(ImageCommand.Store(result));
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            return ImageCommand.Fail(e.Message);
        }
        if (quiet)
        {
            foreach (string id in images.Select(Id).Distinct())
                Console.WriteLine(id);
            return 0;
        }
        string[][] rows = [["IMAGE", "TAG", "IMAGE ID", "SIZE"],
            .. images.Select(i => new[] { i.Repository, i.Tag, Id(i), ImageCommand.HumanSize(i.Size) })];
        // tabwriter as crictl sets it up: minimum width 20, padding 3.
        int[] widths = Enumerable.Range(0, 3).Select(c => Math.Max(20, rows.Max(r => r[c].Length) + 3)).ToArray();
        foreach (string[] row in rows)
            Console.WriteLine(row[0].PadRight(widths[0]) + row[1].PadRight(widths[1]) + row[2].PadRight(widths[2]) + row[3]);
        return 0;
    }

    private static string Id(ImageSummary i) => i.ImageId.StartsWith("sha256:", StringComparison.Ordinal) ? i.ImageId[7..20] : i.ImageId;
}
