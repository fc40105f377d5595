using System.CommandLine;
using System.Text.Json;
using PodShim.Runtime.Images;

namespace PodShim.Cli.Commands;

/// <summary>`podshim image inspect NAME`: the image's tags, digests, config and layers as JSON.</summary>
internal static class ImageInspectCommand
{
    public static Command Create()
    {
        var names = new Argument<string[]>("image") { Description = "Image references", Arity = ArgumentArity.OneOrMore };
        var command = new Command("inspect", "Show an image's config, digests and layers (JSON).") { names };
        command.SetAction(result => Run(result, result.GetValue(names)!));
        return command;
    }

    private static int Run(ParseResult result, string[] names)
    {
        ImageStore store = ImageCommand.Store(result);
        var details = new List<ImageDetails>();
        int rc = 0;
        foreach (string name in names)
        {
            try
            {
                details.Add(ImageCatalog.Inspect(store, name));
            }
            catch (ImageNotFoundException e)
            {
                rc = ImageCommand.Fail($"no such image: {e.Reference}");
            }
            catch (Exception e) when (e is FormatException or InvalidDataException or IOException)
            {
                rc = ImageCommand.Fail(e.Message);
            }
        }
        if (details.Count == 0)
            return rc;
        using var stdout = Console.OpenStandardOutput();
        using (var w = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartArray();
            foreach (ImageDetails d in details)
                Write(w, d);
            w.WriteEndArray();
        }
        stdout.WriteByte((byte)'\n');
        return rc;
    }

    private static void Write(Utf8JsonWriter w, ImageDetails d)
    {
        w.WriteStartObject();
        w.WriteString("id", d.ImageId);
        w.WriteStartArray("repoTags");
        foreach (string tag in d.Tags)
            w.WriteStringValue(tag);
        w.WriteEndArray();
        w.WriteStartArray("repoDigests");
        foreach (string tag in d.Tags)
            w.WriteStringValue(ImageReference.Parse(tag).Name + "@" + d.ManifestDigest);
        w.WriteEndArray();
        w.WriteString("manifestDigest", d.ManifestDigest);
        w.WriteString("architecture", d.Architecture);
        w.WriteString("os", d.Os);
        if (d.Created is not null)
            w.WriteString("created", d.Created);
        w.WriteNumber("size", d.Size);
        w.WritePropertyName("config");
        using (JsonDocument config = JsonDocument.Parse(d.ConfigJson))
            config.RootElement.WriteTo(w);
        w.WriteStartArray("layers");
        foreach (ImageLayerInfo l in d.Layers)
        {
            w.WriteStartObject();
            w.WriteString("digest", l.Digest);
            w.WriteString("mediaType", l.MediaType);
            w.WriteNumber("size", l.Size);
            w.WriteString("diffId", l.DiffId);
            w.WriteString("directory", l.Directory);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteString("store", d.LayoutRoot);
        w.WriteBoolean("bundled", d.Bundled);
        w.WriteEndObject();
    }
}
