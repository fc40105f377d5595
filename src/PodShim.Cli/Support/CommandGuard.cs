using System.CommandLine;
using PodShim.Cli.Commands;
using PodShim.Interop;
using PodShim.Manifest;
using PodShim.Runtime.Images;
using PodShim.Runtime.Kubectl;
using PodShim.Runtime.Pods;

namespace PodShim.Cli.Support;

/// <summary>
/// Runs a verb and turns its failures into kubectl's single lines and exit codes: <c>Error from server (NotFound): …</c>,
/// <c>error: …</c>, the API server's validation messages. A stack trace only with --debug.
/// </summary>
internal static class CommandGuard
{
    public static int Run(ParseResult result, Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e)
        {
            return Report(e, result.GetValue(GlobalOptions.Debug));
        }
    }

    public static int Report(Exception e, bool debug)
    {
        (string message, int code) = e switch
        {
            KubectlException k => (k.Message, k.ExitCode),
            PodInvalidException or ServiceInvalidException => (e.Message, 1),
            PodRunException when e.Message.StartsWith("Error", StringComparison.Ordinal) => (e.Message, 1),
            ManifestException or ImageNotFoundException or PodRunException or NativeException or SpawnException
                or IOException or UnauthorizedAccessException or SelectorException or FormatException => ($"error: {e.Message}", 1),
            _ => ($"error: {e.Message}", 1),
        };
        Console.Out.Flush();
        Console.Error.WriteLine(message);
        if (debug)
            Console.Error.WriteLine(e.ToString());
        return code;
    }

    /// <summary>podshim manages namespaces, mounts and processes: the verbs that change pods need root.</summary>
    public static void RequireRoot(string verb)
    {
        if (!Posix.IsRoot)
            throw new KubectlException($"error: podshim {verb} must be run as root");
    }
}
