using System.CommandLine;
using PodShim.Runtime.Images;

namespace PodShim.Cli.Commands;

/// <summary>`podshim image rm NAME|ID...`: untags images of the root's store and frees what nothing uses.</summary>
internal static class ImageRemoveCommand
{
    public static Command Create()
    {
        var names = new Argument<string[]>("image") { Description = "Image references or image ID prefixes", Arity = ArgumentArity.OneOrMore };
        var command = new Command("rm", "Remove images from the root's store (bundled images cannot be removed).") { names };
        command.Aliases.Add("rmi");
        command.SetAction(result => Run(result, result.GetValue(names)!));
        return command;
    }

    private static int Run(ParseResult result, string[] names)
    {
        ImageStore store = ImageCommand.Store(result);
        int rc = 0;
        foreach (string name in names)
        {
            try
            {
                RemoveResult removed = ImageCatalog.Remove(store, [name]);
                foreach (string reference in removed.Untagged)
                    Console.WriteLine($"Deleted: {reference}");
                if (removed.LayersKeptInUse.Count > 0)
                    Console.Error.WriteLine($"note: {removed.LayersKeptInUse.Count} layer(s) kept while running containers use them; a later `podshim image rm` frees them");
            }
            catch (ImageNotFoundException e)
            {
                rc = ImageCommand.Fail($"no such image: {e.Reference}");
            }
            catch (Exception e) when (e is InvalidOperationException or InvalidDataException or IOException or UnauthorizedAccessException)
            {
                rc = ImageCommand.Fail(e.Message);
            }
        }
        return rc;
    }
}
