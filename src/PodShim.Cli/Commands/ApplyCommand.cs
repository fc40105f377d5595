using System.CommandLine;
using PodShim.Cli.Support;
using PodShim.Manifest;
using PodShim.Runtime.Services;
using PodShim.Runtime.State;

namespace PodShim.Cli.Commands;

/// <summary>
/// `podshim apply -f FILE`: every Pod and Service of the (multi-document) manifest, one line each as kubectl prints
/// them (<c>pod/x created</c>, <c>pod/x unchanged</c>, <c>service/y created</c>). Pods start detached: one supervisor
/// process each, and the command returns once the pods are created.
/// </summary>
internal static class ApplyCommand
{
    public static Command Create()
    {
        var files = new Option<string[]>("--filename", "-f") { Description = "Manifest files (YAML or JSON, several documents each; - for stdin)", Required = true, AllowMultipleArgumentsPerToken = false };
        var command = new Command("apply", "Create pods (started detached) and register services from manifests.") { files };
        command.SetAction(result => CommandGuard.Run(result, () => Run(result, result.GetValue(files)!)));
        return command;
    }

    private static int Run(ParseResult result, string[] files)
    {
        CommandGuard.RequireRoot("apply");
        StateLayout layout = GlobalOptions.Layout(result);
        SupervisorProcess.RecoverStale(layout);
        bool debug = result.GetValue(GlobalOptions.Debug);
        int rc = 0;
        foreach (string file in files)
        {
            string text = file == "-" ? Console.In.ReadToEnd() : ReadFile(file);
            foreach (KubeObject obj in ManifestLoader.LoadText(text, file))
            {
                try
                {
                    switch (obj)
                    {
                        case Pod pod:
                            Console.WriteLine($"pod/{pod.Metadata.Name} {PodCreation.Verb(PodCreation.Apply(layout, pod, text))}");
                            break;
                        case Service service:
                            ServiceApplyOutcome outcome = new ServiceStore(layout).Apply(service);
                            Console.WriteLine($"service/{service.Metadata.Name} {outcome.ToString().ToLowerInvariant()}");
                            break;
                    }
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    rc = CommandGuard.Report(e, debug);
                }
            }
        }
        return rc;
    }

    internal static string ReadFile(string file)
    {
        try
        {
            return File.ReadAllText(file);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new Runtime.Kubectl.KubectlException($"error: the path \"{file}\" does not exist");
        }
    }
}
